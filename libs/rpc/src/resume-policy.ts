// When a call to the lead that failed is worth making again: the one rule of the event
// streams that resume (followEvents) and of the lookups that open them (the edge's feeds).
import type { BackoffOptions } from '@codeframe/runtime';
import { Code, type ConnectError } from '@connectrpc/connect';

/** The wait between tries: from a tenth of a second up to five seconds. */
export const RESUME_BACKOFF: BackoffOptions = { baseMs: 100, maxMs: 5_000 };

/** The request or the caller is wrong, or the server does not serve it: trying again gets
 * the same answer. */
const FINAL = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unimplemented,
  Code.Unauthenticated,
]);

/**
 * Whether another try may succeed: the lead unreachable or restarting (UNAVAILABLE,
 * DEADLINE_EXCEEDED, a dropped stream's INTERNAL, UNKNOWN or CANCELED), a watcher cut off
 * for falling behind (RESOURCE_EXHAUSTED), a stream with a hole in it (DATA_LOSS).
 */
export function isRetryable(error: ConnectError): boolean {
  return !FINAL.has(error.code);
}
