import type { DescMessage } from '@bufbuild/protobuf';
import { createValidator, violationsToProto } from '@bufbuild/protovalidate';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';

// Request rules are declared in the .proto files with protovalidate (proto/README.md):
// every request message, unary or each one of a client or bidi stream, is checked here
// before the handler sees it. Responses are the server's own and are not checked.

// One validator for the process: it compiles each message type's rules once, on first use.
const validator = createValidator();

/**
 * INVALID_ARGUMENT naming every field that breaks a rule ("prd: value length must be at
 * most 1048576 bytes [string.max_bytes]"), with the violations as a buf.validate.Violations
 * error detail; a rule that cannot be evaluated is INTERNAL.
 */
export function requestValidation(): Interceptor {
  return (next) => async (req) => {
    const schema = req.method.input;
    if (!req.stream) {
      check(schema, req.message);
      return next(req);
    }
    const messages = req.message;
    return next({
      ...req,
      message: (async function* () {
        for await (const message of messages) {
          check(schema, message);
          yield message;
        }
      })(),
    });
  };
}

function check(schema: DescMessage, message: Parameters<typeof validator.validate>[1]) {
  const result = validator.validate(schema, message);
  if (result.kind === 'valid') return;
  if (result.kind === 'error') {
    throw new ConnectError(
      `the request's validation rules could not be evaluated: ${result.error.message}`,
      Code.Internal,
    );
  }
  const [violations, desc] = violationsToProto(result.violations);
  throw new ConnectError(
    result.violations.map((v) => v.toString()).join('; '),
    Code.InvalidArgument,
    undefined,
    [{ desc, value: violations }],
  );
}
