// Seeded, bounded fuzzing for the specs: the same seed replays the same cases, and the
// number of cases is small in CI and larger on demand.

/** How many cases a fuzz spec runs: `CODEFRAME_FUZZ_CASES`, else `fallback`. */
export function fuzzCases(fallback: number): number {
  const given = Number(process.env.CODEFRAME_FUZZ_CASES);
  return Number.isSafeInteger(given) && given > 0 ? given : fallback;
}

/** The seed of this run: `CODEFRAME_FUZZ_SEED` to replay one, else a fresh one. */
export function fuzzSeed(): number {
  const given = Number(process.env.CODEFRAME_FUZZ_SEED);
  return Number.isSafeInteger(given) ? given >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

/** A small deterministic generator (mulberry32) with the helpers fuzzers need. */
export class Rng {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  /** Random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }

  /** A string mixing ASCII, control characters, odd Unicode and lone surrogates. */
  text(maxLength: number): string {
    const length = this.int(maxLength + 1);
    let out = '';
    for (let i = 0; i < length; i++) {
      const kind = this.int(10);
      if (kind < 6) out += String.fromCharCode(32 + this.int(95));
      else if (kind === 6) out += String.fromCharCode(this.int(32));
      else if (kind === 7) out += this.pick(['\u00e9', '\u202e', '\ufeff', '\u{1f600}', '\u0000']);
      else if (kind === 8) out += String.fromCharCode(0xd800 + this.int(0x800));
      else out += this.pick(['/', '..', '%', '%ff', '\\', '"', '{', '}', '\n']);
    }
    return out;
  }

  /** A JSON-like value of bounded depth: what a hostile client puts where an object goes. */
  value(depth = 3): unknown {
    const kind = this.int(depth > 0 ? 9 : 6);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), Number.MAX_VALUE, 1e308, -0]);
      case 3:
        return this.int(1000);
      case 4:
      case 5:
        return this.text(40);
      case 6:
        return Array.from({ length: this.int(4) }, () => this.value(depth - 1));
      default:
        return Object.fromEntries(
          Array.from({ length: this.int(4) }, () => [this.text(8), this.value(depth - 1)]),
        );
    }
  }
}
