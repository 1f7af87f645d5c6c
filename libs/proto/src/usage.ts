// Tokens and cost of model calls as plain numbers: the one form every part adds up, stores
// and shows (one call never nears 2^53 tokens). `Usage` (types.proto) is its wire form
// (usage-wire.ts). No imports: browser bundles use it too (`@codeframe/proto/usage`).
//
// The API counts a call's input in three parts: tokens neither read from nor written to
// the prompt cache (`inputTokens`), tokens read from it and tokens written to it. Every
// reader shows the same two figures: all input, and how much of it went through the cache.

export interface UsageTotals {
  /** Input tokens neither read from nor written to the cache (the API's input_tokens). */
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens: number;
  cacheCreationInputTokens: number;
  costUsd: number;
  calls: number;
  /** Some call used a model missing from the price table: costUsd leaves it out. */
  unpriced: boolean;
}

/** The amounts of a usage (all but `unpriced`). */
export const USAGE_AMOUNTS = [
  'inputTokens',
  'outputTokens',
  'cacheReadInputTokens',
  'cacheCreationInputTokens',
  'costUsd',
  'calls',
] as const;

export const emptyUsage = (): UsageTotals => ({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadInputTokens: 0,
  cacheCreationInputTokens: 0,
  costUsd: 0,
  calls: 0,
  unpriced: false,
});

export function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  const sum = { ...a, unpriced: a.unpriced || b.unpriced };
  for (const amount of USAGE_AMOUNTS) sum[amount] = a[amount] + b[amount];
  return sum;
}

/** What `total` holds beyond `part`, never below zero (a project's usage beyond its tasks'). */
export function usageBeyond(total: UsageTotals, part: UsageTotals): UsageTotals {
  const beyond = { ...total };
  for (const amount of USAGE_AMOUNTS) beyond[amount] = Math.max(0, total[amount] - part[amount]);
  return beyond;
}

/** Every input token: the uncached ones and those read from or written to the cache. */
export const allInputTokens = (u: UsageTotals): number =>
  u.inputTokens + u.cacheReadInputTokens + u.cacheCreationInputTokens;

/** The input tokens that went through the prompt cache, read or written. */
export const cachedTokens = (u: UsageTotals): number =>
  u.cacheReadInputTokens + u.cacheCreationInputTokens;
