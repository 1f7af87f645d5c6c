import type { ErrorAnswer } from './api-error.js';
import type { MessagesRequest } from './brain.js';
import { promptBlocks } from './prompt-blocks.js';

// The model's context window, as the real API enforces it: a request holding more tokens
// than the window is answered 400 invalid_request_error "prompt is too long: N tokens > M
// maximum", so clients can be tested on keeping their conversations short.

/** The request's input tokens, counted block by block as the fake's usage counts them. */
export function requestTokens(request: MessagesRequest): number {
  return promptBlocks(request).at(-1)?.prefixTokens ?? 0;
}

/** The error answer of a request too long for `windowTokens`; undefined when it fits. */
export function windowAnswer(
  request: MessagesRequest,
  windowTokens: number | undefined,
): ErrorAnswer | undefined {
  if (windowTokens === undefined) return undefined;
  const tokens = requestTokens(request);
  if (tokens <= windowTokens) return undefined;
  return {
    status: 400,
    type: 'invalid_request_error',
    message: `prompt is too long: ${tokens} tokens > ${windowTokens} maximum`,
  };
}
