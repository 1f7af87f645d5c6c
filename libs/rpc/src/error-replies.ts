import { newErrorId } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';
import { decodeFailure } from './decode-errors.js';

export interface Reply {
  /** What the caller is told. */
  error: ConnectError;
  /** Set for an unexpected error: the id its log line carries, named in the reply. */
  errorId?: string;
}

/**
 * The reply for an error a call ended with. A ConnectError is already a reply (a decode
 * failure the framework calls INTERNAL becomes INVALID_ARGUMENT); an error thrown because
 * the call was cancelled is the cancellation; anything else is a fault of the server, told
 * to the caller as INTERNAL with an id and never with its own message, which may name
 * paths, queries or secrets. The log line has the id and the stack.
 */
export function replyFor(err: unknown, signal: AbortSignal, inputTypeName: string): Reply {
  if (err instanceof ConnectError) {
    const sentence = decodeFailure(err.code, err.rawMessage, inputTypeName);
    return { error: sentence ? new ConnectError(sentence, Code.InvalidArgument) : err };
  }
  if (signal.aborted && signal.reason instanceof ConnectError) return { error: signal.reason };
  const errorId = newErrorId();
  return {
    error: new ConnectError(
      `internal error ${errorId}: the server logged what went wrong under this id`,
      Code.Internal,
    ),
    errorId,
  };
}
