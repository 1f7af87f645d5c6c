import type { ErrorAnswer } from './api-error.js';

// Faults make the fake misbehave the way the real API does at its worst, so clients can be
// tested on their retries and their handling of broken streams. Each request takes the next
// fault in line (the first request faults[0], and so on); when none is left, it is answered.

export type Fault =
  | { kind: 'rate_limit'; retryAfterSeconds: number }
  | { kind: 'overloaded' }
  | { kind: 'server_error' }
  | { kind: 'cut_stream'; afterEvents: number }
  | { kind: 'invalid_request'; message?: string }
  | { kind: 'delay'; ms: number };

const INJECTED = 'injected by fake-anthropic, the offline stand-in for the Anthropic API';

/** The error answer of a fault that answers with an error; undefined for the others. */
export function faultAnswer(fault: Fault): ErrorAnswer | undefined {
  switch (fault.kind) {
    case 'rate_limit':
      return {
        status: 429,
        type: 'rate_limit_error',
        message: `rate limited: a rate_limit fault was ${INJECTED}; retry after ${fault.retryAfterSeconds} s`,
        headers: { 'retry-after': String(fault.retryAfterSeconds) },
      };
    case 'overloaded':
      return {
        status: 529,
        type: 'overloaded_error',
        message: `overloaded: a fault was ${INJECTED}`,
      };
    case 'server_error':
      return {
        status: 500,
        type: 'api_error',
        message: `internal server error: a fault was ${INJECTED}`,
      };
    case 'invalid_request':
      return {
        status: 400,
        type: 'invalid_request_error',
        message: fault.message ?? `invalid request: a fault was ${INJECTED}`,
      };
    default:
      return undefined;
  }
}

/** Throws a sentence naming the fault and its bad field, so a typo in a test fails early. */
export function checkFault(fault: Fault): void {
  const bad = (field: string, expected: string) =>
    new Error(`fault ${JSON.stringify(fault)}: ${field} must be ${expected}`);
  switch (fault.kind) {
    case 'rate_limit':
      if (!(fault.retryAfterSeconds >= 0)) throw bad('retryAfterSeconds', 'a number >= 0');
      return;
    case 'cut_stream':
      if (!Number.isInteger(fault.afterEvents) || fault.afterEvents < 0) {
        throw bad('afterEvents', 'an integer >= 0');
      }
      return;
    case 'delay':
      if (!(fault.ms >= 0)) throw bad('ms', 'a number >= 0');
      return;
    case 'overloaded':
    case 'server_error':
    case 'invalid_request':
      return;
    default:
      throw new Error(
        `fault ${JSON.stringify(fault)}: kind must be one of rate_limit, overloaded, server_error, cut_stream, invalid_request, delay`,
      );
  }
}
