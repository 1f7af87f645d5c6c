import { OrchestratorError, type OrchestratorErrorCode } from '@codeframe/orchestrator';
import { StoreError, type StoreErrorCode } from '@codeframe/store';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';

// The service edge: the store's and the orchestrator's errors become the API's codes, with
// their sentence, for unary calls and for errors a stream (WatchEvents) ends with.

const STORE_CODES: Record<StoreErrorCode, Code> = {
  not_found: Code.NotFound,
  conflict: Code.FailedPrecondition,
  invalid: Code.InvalidArgument,
  // A storage fault (full disk; locked, read-only or failing database) may be retried.
  exhausted: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  // Another lead owns the project now: the same call, made again, reaches it.
  fenced: Code.Unavailable,
};

const ORCHESTRATOR_CODES: Record<OrchestratorErrorCode, Code> = {
  not_found: Code.NotFound,
  conflict: Code.FailedPrecondition,
  overflow: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  internal: Code.Internal,
};

/** The error as the API states it; anything else is left for connect to report. */
export function apiError(err: unknown): unknown {
  if (err instanceof StoreError) return new ConnectError(err.message, STORE_CODES[err.code]);
  if (err instanceof OrchestratorError)
    return new ConnectError(err.message, ORCHESTRATOR_CODES[err.code]);
  return err;
}

async function* stated<T>(messages: AsyncIterable<T>): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw apiError(err);
  }
}

export const apiErrors: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: stated(res.message) } : res;
  } catch (err) {
    throw apiError(err);
  }
};
