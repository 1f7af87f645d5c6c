import { create } from '@bufbuild/protobuf';
import { type Usage, UsageSchema } from './gen/codeframe/v1/types_pb.js';
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

/** A usage off the wire, as plain numbers. */
export function fromProtoUsage(usage: Usage): UsageTotals {
  return {
    inputTokens: Number(usage.inputTokens),
    outputTokens: Number(usage.outputTokens),
    cacheReadInputTokens: Number(usage.cacheReadInputTokens),
    cacheCreationInputTokens: Number(usage.cacheCreationInputTokens),
    costUsd: usage.costUsd,
    calls: usage.calls,
    unpriced: usage.unpriced,
  };
}
