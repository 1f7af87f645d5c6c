import { Code, ConnectError } from '@connectrpc/connect';

// Errors that name what is wrong in a sentence a person can act on.

/** INVALID_ARGUMENT naming the request field. */
export function invalidArgument(field: string, problem: string): ConnectError {
  return new ConnectError(`${field}: ${problem}`, Code.InvalidArgument);
}

/** NOT_FOUND naming the kind of thing and its id. */
export function notFound(kind: string, id: string): ConnectError {
  return new ConnectError(`${kind} "${id}" does not exist`, Code.NotFound);
}
