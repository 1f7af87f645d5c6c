import { Code } from '@connectrpc/connect';
import type { UniversalHandler, UniversalServerResponse } from '@connectrpc/connect/protocol';

// connect-es 2.1 answers a request body that protobuf cannot parse, or a message flagged
// compressed without an encoding, with INTERNAL, and a gRPC call with no request message
// or two with UNIMPLEMENTED; for unary methods it does so inside the protocol handler,
// before any interceptor sees the error. Bad input is the caller's fault: these are the
// framework's sentences for it, turned into INVALID_ARGUMENT here. (Server streams read
// their request inside the interceptors: see error-replies.ts.)
const DECODE_FAILURES: { code: Code; pattern: RegExp }[] = [
  { code: Code.Internal, pattern: /^parse binary: (.*)$/s },
  {
    code: Code.Internal,
    pattern: /^(received compressed envelope, but do not know how to decompress)$/,
  },
  {
    code: Code.Unimplemented,
    pattern: /^protocol error: ((missing|received extra) input message)/,
  },
];

/** The sentence for a decode failure of `typeName`'s message, or undefined for other errors. */
export function decodeFailure(code: Code, message: string, typeName: string): string | undefined {
  for (const failure of DECODE_FAILURES) {
    const match = failure.code === code ? failure.pattern.exec(message) : null;
    if (match) return `the request is not a valid ${typeName} message: ${match[1]}`;
  }
  return undefined;
}

const INVALID = String(Code.InvalidArgument);
const TRAILER_FLAG = 0x80;

/** Answers a unary call whose request cannot be decoded with INVALID_ARGUMENT, in any protocol. */
export function reclassifyDecodeErrors(handler: UniversalHandler): UniversalHandler {
  if (handler.method.methodKind !== 'unary') return handler;
  const typeName = handler.method.input.typeName;
  const reclassify = (code: Code, message: string) => decodeFailure(code, message, typeName);
  const wrapped = async (req: Parameters<UniversalHandler>[0]) => {
    const res = await handler(req);
    const contentType = res.header?.get('content-type') ?? '';
    if (contentType.startsWith('application/grpc-web')) return grpcWeb(res, reclassify);
    if (contentType.startsWith('application/grpc')) return grpc(res, reclassify);
    if (res.status === 500 && contentType.startsWith('application/json')) {
      return connectUnary(res, reclassify);
    }
    return res;
  };
  return Object.assign(wrapped, handler);
}

type Reclassify = (code: Code, message: string) => string | undefined;

function rewriteStatus(trailer: Headers, reclassify: Reclassify): boolean {
  const code = Number(trailer.get('grpc-status') ?? 0) as Code;
  const sentence = reclassify(code, safeDecode(trailer.get('grpc-message') ?? ''));
  if (!sentence) return false;
  trailer.set('grpc-status', INVALID);
  trailer.set('grpc-message', encodeURIComponent(sentence));
  return true;
}

// gRPC: the status is in the trailers, final once the body has been written.
function grpc(res: UniversalServerResponse, reclassify: Reclassify): UniversalServerResponse {
  const { trailer, body } = res;
  if (!trailer) return res;
  async function* rewritten() {
    if (body) yield* body;
    rewriteStatus(trailer as Headers, reclassify);
  }
  return { ...res, body: rewritten() };
}

// gRPC-Web: the trailers are the body's last frame (flag 0x80, HTTP/1-style header lines).
function grpcWeb(res: UniversalServerResponse, reclassify: Reclassify): UniversalServerResponse {
  const { body } = res;
  if (!body) return res;
  async function* rewritten() {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      yield chunk[0] === TRAILER_FLAG ? rewriteTrailerFrame(chunk, reclassify) : chunk;
    }
  }
  return { ...res, body: rewritten() };
}

function rewriteTrailerFrame(frame: Uint8Array, reclassify: Reclassify): Uint8Array {
  const trailer = new Headers();
  for (const line of Buffer.from(frame.subarray(5)).toString('utf8').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailer.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  if (!rewriteStatus(trailer, reclassify)) return frame;
  let text = '';
  trailer.forEach((value, key) => {
    text += `${key}: ${value}\r\n`;
  });
  const data = Buffer.from(text, 'utf8');
  const head = Buffer.alloc(5);
  head.writeUInt8(TRAILER_FLAG, 0);
  head.writeUInt32BE(data.byteLength, 1);
  return Buffer.concat([head, data]);
}

// Connect unary: the error is the JSON body, HTTP 500 for INTERNAL.
async function connectUnary(
  res: UniversalServerResponse,
  reclassify: Reclassify,
): Promise<UniversalServerResponse> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of res.body ?? []) chunks.push(chunk);
  const bytes = Buffer.concat(chunks);
  let error: { code?: unknown; message?: unknown };
  try {
    error = JSON.parse(bytes.toString('utf8'));
  } catch {
    return { ...res, body: once(bytes) };
  }
  const sentence =
    error.code === 'internal' && typeof error.message === 'string'
      ? reclassify(Code.Internal, error.message)
      : undefined;
  if (!sentence) return { ...res, body: once(bytes) };
  const body = Buffer.from(JSON.stringify({ code: 'invalid_argument', message: sentence }));
  const header = new Headers(res.header);
  header.set('content-length', String(body.byteLength));
  return { ...res, status: 400, header, body: once(body) };
}

async function* once(bytes: Uint8Array) {
  yield bytes;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
