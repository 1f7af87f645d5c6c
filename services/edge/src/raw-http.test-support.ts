// A raw HTTP/1.1 client for tests that send what fetch refuses to: any Host header, any
// method, any bytes in the request line.
import { connect } from 'node:net';

export interface RawResponse {
  /** 0 when the edge closed the connection without answering. */
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Sends `head` (request line and headers, CRLF-separated, no blank line) and reads the
 * answer; `connection: close` is added unless `addClose` is false (a handshake sets its own).
 */
export function rawRequest(
  port: number,
  head: string,
  timeoutMs = 10_000,
  addClose = true,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      const [line = '', ...headers] = head.split('\r\n');
      const shown = `${line.slice(0, 60)}… (${line.length} chars) ${headers.join(' | ')}`;
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(shown)}`));
    }, timeoutMs);
    const finish = (response: RawResponse) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(response);
    };
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parse(received);
      if (parsed) finish(parsed);
    });
    socket.on('error', () => {});
    socket.on('close', () => finish(parse(received) ?? { status: 0, headers: {}, body: '' }));
    socket.write(`${head}\r\n${addClose ? 'connection: close\r\n' : ''}\r\n`, 'latin1');
  });
}

/** A GET with the given Host header. */
export function getWithHost(port: number, path: string, host: string): Promise<RawResponse> {
  return rawRequest(port, `GET ${path} HTTP/1.1\r\nhost: ${host}`);
}

function parse(data: Buffer): RawResponse | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = data.subarray(0, end).toString('latin1').split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = data.subarray(end + 4);
  const length = Number(headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(length) && body.length < length) return undefined;
  if (!Number.isFinite(length) && headers['transfer-encoding']) return undefined;
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: body.toString('utf8') };
}
