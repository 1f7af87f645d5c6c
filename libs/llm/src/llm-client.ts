import Anthropic from '@anthropic-ai/sdk';
import type { Message, MessageParam, Tool } from '@anthropic-ai/sdk/resources/messages';
import type { UsageTotals } from '@codeframe/proto';
import { backoffDelay, inSpan, type Logger, sleep, traceHeaders } from '@codeframe/runtime';
import { withCacheBreakpoints } from './cache-breakpoints.js';
import { classifyLlmError, LlmError } from './llm-error.js';
import { recordModelCall, recordModelFailure } from './llm-metrics.js';
import type { PriceTable } from './price-table.js';
import { priceCall } from './usage.js';

export interface LlmClientOptions {
  /** Unset when a local stand-in (fake-anthropic) is the base URL. */
  apiKey: string | undefined;
  baseUrl: string | undefined;
  model: string;
  prices: PriceTable;
  maxRetries: number;
  requestTimeoutMs: number;
  maxTokens: number;
  logger: Logger;
  /** Backoff of retries; tests shorten it. */
  backoff?: { baseMs: number; maxMs: number };
}

export interface LlmRequest {
  system: string;
  tools: Tool[];
  messages: MessageParam[];
  signal?: AbortSignal;
  /** Told about each retry before its wait, so callers can show it. */
  onRetry?: (retry: { attempt: number; delayMs: number; error: LlmError }) => void;
}

export interface LlmResponse {
  message: Message;
  usage: UsageTotals;
  model: string;
  /** Tries it took, 1 when the first succeeded. */
  attempts: number;
}

const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 30_000 };

/**
 * Calls Claude through the SDK's streaming Messages API with tools. The system prompt, the
 * tool definitions and the conversation carry cache_control breakpoints (see
 * cache-breakpoints.ts) so every turn reads the turns before it from the prompt cache. Retries follow the one policy of @codeframe/runtime: 429 and
 * 529 (honouring retry-after), 5xx and broken connections or streams, each retried from the
 * start of the call; other errors surface at once.
 */
export class LlmClient {
  readonly #sdk: Anthropic;
  readonly #options: LlmClientOptions;
  #unpricedLogged = false;

  constructor(options: LlmClientOptions) {
    this.#options = options;
    this.#sdk = new Anthropic({
      // The SDK insists on a key; a local stand-in ignores it.
      apiKey: options.apiKey ?? 'offline-stand-in',
      baseURL: options.baseUrl ?? null,
      maxRetries: 0,
      timeout: options.requestTimeoutMs,
    });
  }

  get model(): string {
    return this.#options.model;
  }

  /** One span per call (retries included); each request carries its `traceparent`. */
  complete(request: LlmRequest): Promise<LlmResponse> {
    const attributes = { 'gen_ai.system': 'anthropic', 'gen_ai.request.model': this.model };
    return inSpan('model call', { attributes }, async (span) => {
      const response = await this.#complete(request);
      span.setAttributes({
        'gen_ai.response.model': response.model,
        'gen_ai.usage.input_tokens': response.message.usage.input_tokens,
        'gen_ai.usage.output_tokens': response.message.usage.output_tokens,
        'codeframe.llm.attempts': response.attempts,
      });
      return response;
    });
  }

  async #complete(request: LlmRequest): Promise<LlmResponse> {
    const { model, maxTokens, maxRetries, logger } = this.#options;
    const params = {
      model,
      max_tokens: maxTokens,
      ...withCacheBreakpoints(request.system, request.tools, request.messages),
    };
    for (let attempt = 1; ; attempt++) {
      // A signal aborted before the call (a task cancelled, a budget spent) sends nothing.
      if (request.signal?.aborted)
        throw new LlmError('cancelled', 'the model request was cancelled');
      try {
        const stream = this.#sdk.messages.stream(params, {
          signal: request.signal,
          headers: traceHeaders(),
        });
        const message = await stream.finalMessage();
        const usage = priceCall(message.model || model, message.usage, this.#options.prices);
        if (usage.unpriced && !this.#unpricedLogged) {
          this.#unpricedLogged = true;
          logger.warn(
            { model: message.model || model },
            'model is missing from the price table: its calls are counted as unpriced, not free (set CODEFRAME_PRICES_FILE)',
          );
        }
        recordModelCall(model, usage);
        return { message, usage, model: message.model || model, attempts: attempt };
      } catch (err) {
        const error = classifyLlmError(err, request.signal);
        const retrying = error.retryable && attempt <= maxRetries;
        if (error.kind !== 'cancelled') recordModelFailure(model, retrying);
        if (!retrying) throw error;
        const delayMs = backoffDelay(
          attempt,
          this.#options.backoff ?? DEFAULT_BACKOFF,
          error.retryAfterMs,
        );
        logger.warn(
          { attempt, delayMs: Math.round(delayMs), kind: error.kind, status: error.status },
          `model call failed, retrying: ${error.message}`,
        );
        request.onRetry?.({ attempt, delayMs, error });
        await sleep(delayMs, request.signal).catch(() => {
          throw new LlmError('cancelled', 'the model request was cancelled');
        });
      }
    }
  }
}
