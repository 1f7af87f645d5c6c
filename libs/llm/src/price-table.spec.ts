import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, loadPriceTable, priceCall, priceOf } from './index.js';

describe('price table', () => {
  it('prices dated model ids like their alias', () => {
    expect(priceOf(DEFAULT_PRICES, 'claude-sonnet-4-5-20250929')).toEqual(
      DEFAULT_PRICES['claude-sonnet-4-5'],
    );
  });

  it('prices a call from its four token counts', () => {
    const usage = priceCall(
      'claude-sonnet-5-5',
      {
        input_tokens: 1_000_000,
        output_tokens: 100_000,
        cache_read_input_tokens: 1_000_000,
        cache_creation_input_tokens: 0,
      },
      DEFAULT_PRICES,
    );
    expect(usage.costUsd).toBeCloseTo(2 + 1 + 0.2, 10);
  });

  it('merges a JSON file over the defaults and refuses a malformed one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'prices-'));
    const good = join(dir, 'good.json');
    await writeFile(
      good,
      JSON.stringify({ 'my-model': { input: 1, output: 2, cacheWrite: 1, cacheRead: 0.1 } }),
    );
    expect(loadPriceTable(good)['my-model']).toEqual({
      input: 1,
      output: 2,
      cacheWrite: 1,
      cacheRead: 0.1,
    });
    expect(loadPriceTable(good)['claude-sonnet-5-5']).toBeDefined();
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ 'my-model': { input: 'cheap' } }));
    expect(() => loadPriceTable(bad)).toThrow(/"my-model" needs non-negative numbers/);
  });
});
