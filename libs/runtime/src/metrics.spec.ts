import { describe, expect, it } from 'vitest';
import { counter, gauge, histogram, renderMetrics } from './metrics.js';

describe('the metrics registry', () => {
  it('renders counters, gauges, histograms and the process defaults as Prometheus text', async () => {
    counter({ name: 'codeframe_spec_things_total', help: 'Things.', labelNames: ['kind'] })
      .labels('a')
      .inc(2);
    gauge({ name: 'codeframe_spec_depth', help: 'Depth.' }).set(3);
    histogram({ name: 'codeframe_spec_seconds', help: 'Time.', buckets: [0.1, 1] }).observe(0.5);
    const { contentType, text } = await renderMetrics();
    expect(contentType).toMatch(/^text\/plain/);
    expect(text).toMatch(/^# TYPE codeframe_spec_things_total counter$/m);
    expect(text).toMatch(/^codeframe_spec_things_total\{kind="a"\} 2$/m);
    expect(text).toMatch(/^codeframe_spec_depth 3$/m);
    expect(text).toMatch(/^codeframe_spec_seconds_bucket\{le="1"\} 1$/m);
    expect(text).toMatch(/^codeframe_spec_seconds_count 1$/m);
    expect(text).toMatch(/^codeframe_nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^codeframe_process_cpu_user_seconds_total /m);
  });

  it('reads a value per label value at each scrape, dropping values no longer read', async () => {
    let values = new Map([
      ['a', 1],
      ['b', 2],
    ]);
    let broken = false;
    gauge({
      name: 'codeframe_spec_each',
      help: 'Each.',
      labelNames: ['kind'],
      readEach: async () => {
        if (broken) throw new Error('the store is down');
        return values;
      },
    });
    let { text } = await renderMetrics();
    expect(text).toMatch(/^codeframe_spec_each\{kind="a"\} 1$/m);
    expect(text).toMatch(/^codeframe_spec_each\{kind="b"\} 2$/m);
    values = new Map([['a', 5]]);
    ({ text } = await renderMetrics());
    expect(text).toMatch(/^codeframe_spec_each\{kind="a"\} 5$/m);
    expect(text).not.toMatch(/codeframe_spec_each\{kind="b"\}/);
    // A read that fails leaves the family empty; the rest of /metrics still renders.
    broken = true;
    ({ text } = await renderMetrics());
    expect(text).not.toMatch(/^codeframe_spec_each\{/m);
    expect(text).toMatch(/^codeframe_spec_depth /m);
  });

  it('returns the same family when asked twice, and refuses another type under its name', () => {
    const a = counter({ name: 'codeframe_spec_shared_total', help: 'Shared.' });
    const b = counter({ name: 'codeframe_spec_shared_total', help: 'Shared.' });
    expect(b).toBe(a);
    expect(() => gauge({ name: 'codeframe_spec_shared_total', help: 'Shared.' })).toThrow(
      /another type/,
    );
  });

  it('refuses names outside the codeframe_ namespace', () => {
    expect(() => counter({ name: 'requests_total', help: 'x' })).toThrow(/must match/);
  });
});
