// RFC 6455 §4.2.1: what an opening handshake must carry. uWebSockets.js upgrades any GET
// with a 24-character Sec-WebSocket-Key, whatever its Upgrade, Connection and version say,
// so a proxy that drops the hop-by-hop Upgrade and Connection headers (nginx does, unless
// told to pass them) would still get a socket it cannot carry. The edge checks the rest.

/** The handshake headers, as the request sent them ('' when absent). */
export interface HandshakeHeaders {
  upgrade: string;
  connection: string;
  key: string;
  version: string;
}

export interface HandshakeRefusal {
  status: '400 Bad Request' | '426 Upgrade Required';
  error: string;
  headers: Record<string, string>;
}

/** The one version RFC 6455 defines; a client offering another is told this one. */
export const WEBSOCKET_VERSION = '13';

const BASE64_16_BYTES = /^[A-Za-z0-9+/]{22}==$/;

/** Whether the comma-separated header `value` holds `token` (case-insensitively). */
function hasToken(value: string, token: string): boolean {
  return value.split(',').some((part) => part.trim().toLowerCase() === token);
}

/** Why the request is not a WebSocket opening handshake, or undefined when it is one. */
export function handshakeRefusal(h: HandshakeHeaders): HandshakeRefusal | undefined {
  const refuse = (error: string): HandshakeRefusal => ({
    status: '400 Bad Request',
    error: `not a WebSocket handshake: ${error}`,
    headers: {},
  });
  if (!hasToken(h.upgrade, 'websocket')) {
    return refuse(
      `the Upgrade header is ${JSON.stringify(h.upgrade)}, not "websocket" (a proxy in front of the edge must pass it: see deploy/nginx/edge.conf)`,
    );
  }
  if (!hasToken(h.connection, 'upgrade')) {
    return refuse(
      `the Connection header is ${JSON.stringify(h.connection)}, without "upgrade" (a proxy in front of the edge must pass it: see deploy/nginx/edge.conf)`,
    );
  }
  if (!BASE64_16_BYTES.test(h.key)) {
    return refuse('Sec-WebSocket-Key is not 16 bytes in base64');
  }
  if (h.version.trim() !== WEBSOCKET_VERSION) {
    return {
      status: '426 Upgrade Required',
      error: `Sec-WebSocket-Version ${JSON.stringify(h.version)} is not supported: the edge speaks version ${WEBSOCKET_VERSION}`,
      headers: { 'sec-websocket-version': WEBSOCKET_VERSION },
    };
  }
  return undefined;
}
