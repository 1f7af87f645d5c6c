import { env, type Logger } from '@codeframe/runtime';
import { LlmClient } from './llm-client.js';
import { loadPriceTable } from './price-table.js';

/** What every process that calls the model reads from its environment. */
export const llmSettings = {
  model: env.string('CODEFRAME_MODEL', 'claude-sonnet-5-5'),
  /** The SDK's own variables: the key, and a base URL (fake-anthropic when offline). */
  apiKey: env.optional('ANTHROPIC_API_KEY'),
  baseUrl: env.optional('ANTHROPIC_BASE_URL'),
  maxRetries: env.int('CODEFRAME_LLM_MAX_RETRIES', 6, 0, 50),
  /** One model call, including streaming the answer. */
  requestTimeoutMs: env.int('CODEFRAME_LLM_TIMEOUT_MS', 600_000, 1_000),
  maxTokens: env.int('CODEFRAME_LLM_MAX_TOKENS', 16_000, 256),
  pricesFile: env.optional('CODEFRAME_PRICES_FILE'),
};

/** The values of llmSettings, as loadConfig returns them. */
export interface LlmSettingValues {
  model: string;
  apiKey: string | undefined;
  baseUrl: string | undefined;
  maxRetries: number;
  requestTimeoutMs: number;
  maxTokens: number;
  pricesFile: string | undefined;
}

/** The LlmClient a process configured with llmSettings uses. */
export function createLlmClient(settings: LlmSettingValues, logger: Logger): LlmClient {
  return new LlmClient({
    apiKey: settings.apiKey,
    baseUrl: settings.baseUrl,
    model: settings.model,
    prices: loadPriceTable(settings.pricesFile),
    maxRetries: settings.maxRetries,
    requestTimeoutMs: settings.requestTimeoutMs,
    maxTokens: settings.maxTokens,
    logger,
  });
}
