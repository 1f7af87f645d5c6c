export type {
  ContentBlockParam,
  Message,
  MessageParam,
  Tool,
  ToolResultBlockParam,
  ToolUseBlock,
} from '@anthropic-ai/sdk/resources/messages';
// The usage type and its sums are @codeframe/proto's (one shape in every part).
export { addUsage, emptyUsage, toProtoUsage, type UsageTotals } from '@codeframe/proto';
export {
  LlmClient,
  type LlmClientOptions,
  type LlmRequest,
  type LlmResponse,
} from './llm-client.js';
export { classifyLlmError, LlmError, type LlmErrorKind } from './llm-error.js';
export { createLlmClient, type LlmSettingValues, llmSettings } from './llm-settings.js';
export {
  DEFAULT_PRICES,
  loadPriceTable,
  type ModelPrice,
  type PriceTable,
  priceOf,
} from './price-table.js';
export { CHARS_PER_TOKEN, estimateTokens } from './token-estimate.js';
export { type ApiUsage, priceCall } from './usage.js';
