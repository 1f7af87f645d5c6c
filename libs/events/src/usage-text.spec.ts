import { emptyUsage } from '@codeframe/proto/usage';
import { describe, expect, it } from 'vitest';
import { formatTokens, tokensText } from './usage-text.js';

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
    const usage = {
      ...emptyUsage(),
      inputTokens: 12_000,
      cacheReadInputTokens: 10_000,
      cacheCreationInputTokens: 1_300,
    };
    expect(tokensText({ ...usage, outputTokens: 1_200 })).toBe(
      '23.3k in (11.3k cached) / 1.2k out',
    );
    expect(tokensText({ ...emptyUsage(), inputTokens: 800, outputTokens: 5 })).toBe(
      '800 in / 5 out',
    );
  });
});
