import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('reads percentiles within its 2% buckets and the exact maximum, merged across histograms', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let us = 1; us <= 1000; us++) (us % 2 ? a : b).record(us * 1000);
    const merged = new LatencyHistogram().merge(a).merge(b.toJSON());
    const summary = merged.summary();
    expect(summary.count).toBe(1000);
    expect(summary.p50Ms).toBeGreaterThan(490);
    expect(summary.p50Ms).toBeLessThan(510);
    expect(summary.p99Ms).toBeGreaterThan(970);
    expect(summary.p99Ms).toBeLessThanOrEqual(1000);
    expect(summary.maxMs).toBe(1000);
    expect(summary.meanMs).toBeCloseTo(500.5, 1);
  });

  it('summarises an empty histogram as zeros', () => {
    expect(new LatencyHistogram().summary()).toEqual({
      count: 0,
      p50Ms: 0,
      p90Ms: 0,
      p99Ms: 0,
      maxMs: 0,
      meanMs: 0,
    });
  });
});
