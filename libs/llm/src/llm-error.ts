import { APIConnectionError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';

export type LlmErrorKind =
  | 'rate_limited'
  | 'overloaded'
  | 'server_error'
  | 'connection'
  | 'cancelled'
  | 'auth'
  | 'invalid_request'
  /** 400: the request holds more tokens than the model's window; compact and send again. */
  | 'prompt_too_long';

/** A model call that failed, classified for the retry policy and for people. */
export class LlmError extends Error {
  override name = 'LlmError';
  constructor(
    readonly kind: LlmErrorKind,
    message: string,
    readonly status?: number,
    /** How long the server asked to wait (retry-after), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** 429, 529, 5xx and dropped connections or streams are worth another try. */
  get retryable(): boolean {
    return ['rate_limited', 'overloaded', 'server_error', 'connection'].includes(this.kind);
  }
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** Classifies whatever the SDK threw. */
export function classifyLlmError(err: unknown, signal?: AbortSignal): LlmError {
  if (err instanceof LlmError) return err;
  if (signal?.aborted || err instanceof APIUserAbortError) {
    return new LlmError('cancelled', 'the model request was cancelled');
  }
  if (err instanceof APIConnectionError) {
    return new LlmError('connection', `cannot reach the model API: ${err.message}`);
  }
  if (err instanceof APIError && err.status !== undefined) {
    const { status } = err;
    const wait = retryAfterMs(err.headers as Headers | undefined);
    if (status === 429)
      return new LlmError('rate_limited', `rate limited (429): ${err.message}`, status, wait);
    if (status === 529)
      return new LlmError('overloaded', `the model API is overloaded (529)`, status, wait);
    if (status >= 500)
      return new LlmError(
        'server_error',
        `the model API failed (${status}): ${err.message}`,
        status,
        wait,
      );
    if (status === 401 || status === 403) {
      return new LlmError(
        'auth',
        `the model API refused the credentials (${status}): check ANTHROPIC_API_KEY`,
        status,
      );
    }
    if (status === 400 && /prompt is too long/i.test(err.message)) {
      return new LlmError(
        'prompt_too_long',
        `the conversation is longer than the model's window (400): ${err.message}`,
        status,
      );
    }
    return new LlmError(
      'invalid_request',
      `the model API rejected the request (${status}): ${err.message}`,
      status,
    );
  }
  // A stream cut mid-message surfaces as a plain error from the SDK's stream parser.
  return new LlmError(
    'connection',
    `the model stream broke: ${(err as Error)?.message ?? String(err)}`,
  );
}
