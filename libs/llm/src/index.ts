export type {
  ContentBlockParam,
  Message,
  MessageParam,
  Tool,
  ToolResultBlockParam,
  ToolUseBlock,
} from '@anthropic-ai/sdk/resources/messages';
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
export { toProtoUsage } from './proto-usage.js';
export { CHARS_PER_TOKEN, estimateTokens } from './token-estimate.js';
export { type ApiUsage, addUsage, emptyUsage, priceCall, type UsageTotals } from './usage.js';
