import { env } from '@codeframe/runtime';

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
