import type { UsageTotals } from '@codeframe/proto';
import type { PriceTable } from './price-table.js';
import { priceOf } from './price-table.js';

/** The usage block of a Messages API response. */
export interface ApiUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

/** One call's usage, priced from the table. */
export function priceCall(model: string, usage: ApiUsage, table: PriceTable): UsageTotals {
  const call: UsageTotals = {
    inputTokens: usage.input_tokens,
    outputTokens: usage.output_tokens,
    cacheReadInputTokens: usage.cache_read_input_tokens ?? 0,
    cacheCreationInputTokens: usage.cache_creation_input_tokens ?? 0,
    costUsd: 0,
    calls: 1,
    unpriced: false,
  };
  const price = priceOf(table, model);
  if (!price) return { ...call, unpriced: true };
  call.costUsd =
    (call.inputTokens * price.input +
      call.outputTokens * price.output +
      call.cacheReadInputTokens * price.cacheRead +
      call.cacheCreationInputTokens * price.cacheWrite) /
    1_000_000;
  return call;
}
