import type { OutgoingHttpHeaders } from 'node:http';

/**
 * connect-node writes grpc-message with encodeURIComponent, which also escapes ':' and
 * '/'; the gRPC spec only escapes '%' and bytes outside printable ASCII, and decoders that
 * follow it (grpc-js among them) then show "task%3A required" to people. This rewrites the
 * header the spec's way; Connect's own decoder reads both forms.
 */
export function specEncodeGrpcMessage(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== 'grpc-message') continue;
    const value = headers[key];
    if (typeof value !== 'string') continue;
    let message: string;
    try {
      message = decodeURIComponent(value);
    } catch {
      continue;
    }
    headers[key] = percentEncode(message);
  }
  return headers;
}

function percentEncode(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

interface HeaderWriter {
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  addTrailers(headers: OutgoingHttpHeaders): void;
}

/** Makes a response write grpc-message the spec's way, in headers and trailers. */
export function encodeGrpcMessagesPerSpec(res: HeaderWriter): void {
  const writeHead = res.writeHead.bind(res);
  const addTrailers = res.addTrailers.bind(res);
  res.writeHead = (status, headers) => writeHead(status, headers && specEncodeGrpcMessage(headers));
  res.addTrailers = (headers) => addTrailers(specEncodeGrpcMessage(headers));
}
