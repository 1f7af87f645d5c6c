import type { ServerResponse } from 'node:http';

/** An error answer: HTTP status, Anthropic error type and message, extra headers. */
export interface ErrorAnswer {
  status: number;
  type: ApiErrorType;
  message: string;
  headers?: Record<string, string>;
}

export type ApiErrorType =
  | 'invalid_request_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error';

/**
 * Answers with Anthropic's error shape, which the SDK turns into its error classes:
 * `{"type":"error","error":{"type","message"},"request_id"}` plus a `request-id` header.
 */
export function sendError(res: ServerResponse, requestId: string, answer: ErrorAnswer): void {
  const body = JSON.stringify({
    type: 'error',
    error: { type: answer.type, message: answer.message },
    request_id: requestId,
  });
  res.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'request-id': requestId,
    ...answer.headers,
  });
  res.end(body);
}
