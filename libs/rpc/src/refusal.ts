import type http from 'node:http';
import type http2 from 'node:http2';
import { Code } from '@connectrpc/connect';
import { specEncodeGrpcMessage } from './grpc-message-encoding.js';

/** A request turned away before the RPC framework reads it. */
export interface Refusal {
  code: Code;
  /** The HTTP status a Connect or plain HTTP client sees. */
  httpStatus: number;
  message: string;
}

type Response = http.ServerResponse | http2.Http2ServerResponse;

// The Connect protocol's names of the codes (snake_case of Code's keys).
const connectCodeName = (code: Code) =>
  (Code[code] ?? 'unknown').replace(/(?<=[a-z])(?=[A-Z])/g, '_').toLowerCase();

/**
 * Answers in the caller's protocol: gRPC and gRPC-Web get a trailers-only response
 * (HTTP 200, grpc-status and grpc-message in the headers), anything else the Connect
 * unary error shape, `{code, message}` as JSON with `httpStatus`. The connection of an
 * HTTP/1.1 request is closed after the answer, so an unread body is never read.
 */
export function refuse(
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: Response,
  refusal: Refusal,
): void {
  const contentType = String(req.headers['content-type'] ?? '');
  const h1 = req.httpVersionMajor < 2;
  const close = h1 ? { connection: 'close' } : {};
  if (contentType.startsWith('application/grpc')) {
    const headers = specEncodeGrpcMessage({
      'content-type': contentType.split(';')[0],
      'grpc-status': String(refusal.code),
      'grpc-message': encodeURIComponent(refusal.message),
      ...close,
    });
    if ('stream' in res) {
      // HTTP/2: one HEADERS frame that ends the stream, as gRPC's trailers-only response is.
      res.stream.respond({ ':status': 200, ...headers }, { endStream: true });
    } else {
      res.writeHead(200, headers);
      res.end();
    }
    return;
  }
  const body = JSON.stringify({ code: connectCodeName(refusal.code), message: refusal.message });
  res.writeHead(refusal.httpStatus, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...close,
  });
  res.end(body);
}
