// Latencies in microseconds, kept in logarithmic buckets 2% wide, so millions of samples from
// several processes cost a few kilobytes and merge by adding counts. Percentiles are exact to
// within the 2% of a bucket; the maximum is exact.

const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
/** 1.02^1100 µs is about 74 hours: every latency fits. */
const BUCKETS = 1100;

export interface HistogramJson {
  /** [bucket index, count] for the non-empty buckets. */
  buckets: [number, number][];
  count: number;
  sumUs: number;
  maxUs: number;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKETS);
  count = 0;
  sumUs = 0;
  maxUs = 0;

  record(us: number): void {
    const v = Math.max(us, 1);
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log(v) / LOG_GROWTH));
    this.#counts[i]!++;
    this.count++;
    this.sumUs += us;
    if (us > this.maxUs) this.maxUs = us;
  }

  merge(other: LatencyHistogram | HistogramJson): this {
    const json = other instanceof LatencyHistogram ? other.toJSON() : other;
    for (const [i, c] of json.buckets) this.#counts[i]! += c;
    this.count += json.count;
    this.sumUs += json.sumUs;
    if (json.maxUs > this.maxUs) this.maxUs = json.maxUs;
    return this;
  }

  /** The latency below which a fraction `q` of the samples fall, in µs (0 when empty). */
  quantileUs(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= target) return Math.min(this.maxUs, GROWTH ** (i + 0.5));
    }
    return this.maxUs;
  }

  summary(): LatencySummary {
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      count: this.count,
      p50Ms: ms(this.quantileUs(0.5)),
      p90Ms: ms(this.quantileUs(0.9)),
      p99Ms: ms(this.quantileUs(0.99)),
      maxMs: ms(this.maxUs),
      meanMs: ms(this.count ? this.sumUs / this.count : 0),
    };
  }

  reset(): void {
    this.#counts.fill(0);
    this.count = 0;
    this.sumUs = 0;
    this.maxUs = 0;
  }

  toJSON(): HistogramJson {
    const buckets: [number, number][] = [];
    this.#counts.forEach((c, i) => {
      if (c > 0) buckets.push([i, c]);
    });
    return { buckets, count: this.count, sumUs: this.sumUs, maxUs: this.maxUs };
  }
}
