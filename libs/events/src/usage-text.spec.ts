import { describe, expect, it } from 'vitest';
import { formatTokens, tokensText } from './usage-text.js';
import { noUsage } from './usage-totals.js';

describe('token text', () => {
  it('shortens counts the same way everywhere', () => {
    expect([950, 999.6, 12_345, 99_949, 123_456, 1_240_000].map(formatTokens)).toEqual([
      '950',
      '1000',
      '12.3k',
      '99.9k',
      '123k',
      '1.24M',
    ]);
  });

  it('shows every input token and how many of them went through the cache', () => {
    const usage = { ...noUsage(), input: 12_000, cacheRead: 10_000, cacheWrite: 1_300 };
    expect(tokensText({ ...usage, output: 1_200 })).toBe('23.3k in (11.3k cached) / 1.2k out');
    expect(tokensText({ ...noUsage(), input: 800, output: 5 })).toBe('800 in / 5 out');
  });
});
