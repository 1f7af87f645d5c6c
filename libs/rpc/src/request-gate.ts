import type http from 'node:http';
import type http2 from 'node:http2';
import { Code } from '@connectrpc/connect';
import { bearerCheck } from './bearer-token.js';
import { hostNameRule } from './host-names.js';
import type { Refusal } from './refusal.js';
import { MAX_MESSAGE_BYTES_VARIABLE } from './server-settings.js';

// Health checks stay open so load balancers and orchestrators can probe without secrets.
const OPEN_PATH_PREFIX = '/grpc.health.v1.Health/';

// A gRPC or gRPC-Web body frames its message with 5 bytes; a little room for that.
const FRAMING_BYTES = 1024;

export interface GateOptions {
  /** The address the server listens on: its name is one the server answers to. */
  listenHost: string;
  allowedHosts: readonly string[];
  authToken: string | undefined;
  maxMessageBytes: number;
}

/**
 * What is decided from a request's headers alone, before a byte of its body is read: the
 * host name it is addressed to, the bearer token, and a declared length above the limit.
 * Returns the refusal, or undefined to let the request through.
 */
export function requestGate(options: GateOptions) {
  const checkHost = hostNameRule(options.listenHost, options.allowedHosts);
  const checkToken = options.authToken ? bearerCheck(options.authToken) : undefined;
  return (
    req: http.IncomingMessage | http2.Http2ServerRequest,
    /** Only the host name: the request's handler authenticates and limits it itself. */
    hostOnly = false,
  ): Refusal | undefined => {
    const host = req.headers[':authority'] ?? req.headers.host;
    const hostProblem = checkHost(Array.isArray(host) ? host[0] : host);
    if (hostProblem) {
      return { code: Code.PermissionDenied, httpStatus: 421, message: hostProblem };
    }
    if (hostOnly) return undefined;
    const open = (req.url ?? '').startsWith(OPEN_PATH_PREFIX);
    const tokenProblem = open ? undefined : checkToken?.(req.headers.authorization);
    if (tokenProblem) {
      return { code: Code.Unauthenticated, httpStatus: 401, message: tokenProblem };
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > options.maxMessageBytes + FRAMING_BYTES) {
      return {
        code: Code.ResourceExhausted,
        httpStatus: 413,
        message: `the request body of ${length} bytes is larger than the limit of ${options.maxMessageBytes} bytes (${MAX_MESSAGE_BYTES_VARIABLE})`,
      };
    }
    return undefined;
  };
}
