import { create } from '@bufbuild/protobuf';
import { type Usage, UsageSchema } from '@codeframe/proto';
import type { UsageTotals } from './usage.js';

/** The wire form of a usage total. */
export function toProtoUsage(usage: UsageTotals): Usage {
  return create(UsageSchema, {
    inputTokens: BigInt(usage.inputTokens),
    outputTokens: BigInt(usage.outputTokens),
    cacheReadInputTokens: BigInt(usage.cacheReadInputTokens),
    cacheCreationInputTokens: BigInt(usage.cacheCreationInputTokens),
    costUsd: usage.costUsd,
    calls: usage.calls,
    unpriced: usage.unpriced,
  });
}
