// Raw HTTP/1.1 and HTTP/2 requests for specs that send what no well-behaved client would.
import http from 'node:http';
import http2 from 'node:http2';

export interface RawReply {
  status: number;
  /** Response headers, and for HTTP/2 the trailers too. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Request body bytes written before the response arrived. */
  sentBeforeReply: number;
}

export interface RawRequest {
  path: string;
  headers?: Record<string, string>;
  /** The whole body, or a size to stream in 64 KiB chunks until the server answers. */
  body?: Uint8Array | { streamBytes: number; first?: Uint8Array };
}

const CHUNK = Buffer.alloc(64 * 1024, 0x61);

/** One HTTP/1.1 POST; a streamed body stops as soon as the response head arrives. */
export function h1Post(baseUrl: string, request: RawRequest): Promise<RawReply> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = -1;
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: request.path,
      headers: request.headers,
      agent: false,
    });
    req.on('response', (res) => {
      answered = sent;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          sentBeforeReply: answered,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', (err) => {
      if (answered < 0) reject(err);
    });
    streamBody(
      req,
      request.body,
      () => answered >= 0,
      (n) => {
        sent += n;
      },
    );
  });
}

/** One HTTP/2 POST (gRPC's transport); a streamed body stops once the server answers. */
export function h2Post(baseUrl: string, request: RawRequest): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on('error', reject);
    let sent = 0;
    let answered = -1;
    const headers: Record<string, string | string[] | undefined> = {};
    const stream = session.request({
      ':method': 'POST',
      ':path': request.path,
      ...request.headers,
    });
    const chunks: Buffer[] = [];
    const streamed = typeof request.body === 'object' && 'streamBytes' in request.body;
    stream.on('response', (h) => {
      answered = sent;
      Object.assign(headers, h);
      // Trailers-only: the call is over, whatever of the body is still unsent.
      if (streamed && h['grpc-status'] !== undefined) stream.destroy();
    });
    stream.on('trailers', (t) => {
      Object.assign(headers, t);
      if (streamed) stream.destroy();
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => {});
    stream.on('close', () => {
      session.close();
      resolve({
        status: Number(headers[':status'] ?? 0),
        headers,
        body: Buffer.concat(chunks),
        sentBeforeReply: answered,
      });
    });
    streamBody(
      stream,
      request.body,
      () => answered >= 0,
      (n) => {
        sent += n;
      },
    );
  });
}

interface Writable {
  write(chunk: Uint8Array): boolean;
  end(): void;
  once(event: 'drain' | 'close' | 'response', listener: () => void): unknown;
  destroyed: boolean;
}

async function streamBody(
  to: Writable,
  body: RawRequest['body'],
  stop: () => boolean,
  count: (n: number) => void,
): Promise<void> {
  if (body === undefined || body instanceof Uint8Array) {
    if (body) to.write(body);
    count(body?.byteLength ?? 0);
    to.end();
    return;
  }
  let left = body.streamBytes;
  const writeOne = (chunk: Uint8Array) => {
    count(chunk.byteLength);
    return to.write(chunk);
  };
  if (body.first) left -= body.first.byteLength;
  let ok = body.first ? writeOne(body.first) : true;
  while (left > 0 && !stop() && !to.destroyed) {
    if (!ok) {
      await new Promise<void>((resolve) => {
        to.once('drain', resolve);
        to.once('close', resolve);
        to.once('response', resolve);
      });
      continue;
    }
    const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
    left -= chunk.length;
    ok = writeOne(chunk);
  }
  if (!to.destroyed) to.end();
}

/** A gRPC length-prefixed message: flags byte, big-endian length, payload. */
export function grpcFrame(payload: Uint8Array, options: { flags?: number; length?: number } = {}) {
  const head = Buffer.alloc(5);
  head.writeUInt8(options.flags ?? 0, 0);
  head.writeUInt32BE(options.length ?? payload.byteLength, 1);
  return Buffer.concat([head, payload]);
}
