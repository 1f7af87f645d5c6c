// Usage as a browser event carries it (snake_case JSON, int64 as strings), read into the one
// usage shape every part shows (@codeframe/proto's UsageTotals).
import type { UsageTotals } from '@codeframe/proto/usage';
import type { BrowserUsage } from './browser-protocol.js';

/** int64 fields arrive as JSON strings. */
const num = (v: string | number | undefined): number => {
  const n = typeof v === 'number' ? v : Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
};

export function usageTotals(u: BrowserUsage | undefined): UsageTotals {
  return {
    inputTokens: num(u?.input_tokens),
    outputTokens: num(u?.output_tokens),
    cacheReadInputTokens: num(u?.cache_read_input_tokens),
    cacheCreationInputTokens: num(u?.cache_creation_input_tokens),
    costUsd: num(u?.cost_usd),
    calls: u?.calls ?? 0,
    unpriced: u?.unpriced ?? false,
  };
}
