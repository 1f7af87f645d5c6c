// Tokens and cost summed over model calls. The API counts a call's input in three parts:
// tokens neither read from nor written to the prompt cache (`input`), tokens read from it
// and tokens written to it. Every reader shows the same two figures: all input, and how
// much of it went through the cache.
import type { BrowserUsage } from './browser-protocol.js';

export interface UsageTotals {
  /** Input tokens neither read from nor written to the cache (the API's input_tokens). */
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
  calls: number;
  /** Some call used a model missing from the lead's price table. */
  unpriced: boolean;
}

export const noUsage = (): UsageTotals => ({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  cost: 0,
  calls: 0,
  unpriced: false,
});

/** int64 fields arrive as JSON strings. */
const num = (v: string | number | undefined): number => {
  const n = typeof v === 'number' ? v : Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
};

export function usageTotals(u: BrowserUsage | undefined): UsageTotals {
  return {
    input: num(u?.input_tokens),
    output: num(u?.output_tokens),
    cacheRead: num(u?.cache_read_input_tokens),
    cacheWrite: num(u?.cache_creation_input_tokens),
    cost: num(u?.cost_usd),
    calls: u?.calls ?? 0,
    unpriced: u?.unpriced ?? false,
  };
}

export function addUsage(into: UsageTotals, add: UsageTotals): void {
  into.input += add.input;
  into.output += add.output;
  into.cacheRead += add.cacheRead;
  into.cacheWrite += add.cacheWrite;
  into.cost += add.cost;
  into.calls += add.calls;
  into.unpriced ||= add.unpriced;
}

/** What `total` holds beyond `part`, never below zero (the project's usage beyond its tasks'). */
export function usageBeyond(total: UsageTotals, part: UsageTotals): UsageTotals {
  return {
    input: Math.max(0, total.input - part.input),
    output: Math.max(0, total.output - part.output),
    cacheRead: Math.max(0, total.cacheRead - part.cacheRead),
    cacheWrite: Math.max(0, total.cacheWrite - part.cacheWrite),
    cost: Math.max(0, total.cost - part.cost),
    calls: Math.max(0, total.calls - part.calls),
    unpriced: total.unpriced,
  };
}

/** Every input token: the uncached ones and those read from or written to the cache. */
export const inputTokens = (u: UsageTotals): number => u.input + u.cacheRead + u.cacheWrite;

/** The input tokens that went through the prompt cache, read or written. */
export const cachedTokens = (u: UsageTotals): number => u.cacheRead + u.cacheWrite;
