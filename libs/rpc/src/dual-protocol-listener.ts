import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { ServerTls } from '@codeframe/runtime';

// Every HTTP/2 connection without TLS starts with this preface (RFC 9113 §3.4).
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

const HANDSHAKE_TIMEOUT_MS = 30_000;

// Limits on what a client may make the server hold before a handler runs. Bodies are
// limited where they are read (readMaxBytes) and refused from their headers (request-gate).
const MAX_HEADER_BYTES = 16 * 1024;
const H1_LIMITS: http.ServerOptions = {
  maxHeaderSize: MAX_HEADER_BYTES,
  // Receiving the headers, and the whole request: a client sending them byte by byte
  // does not hold a connection for ever. (Responses, e.g. streams, are not limited.)
  headersTimeout: 20_000,
  requestTimeout: 120_000,
};
const H2_LIMITS: http2.ServerOptions = {
  // Per session, in MB: headers, unacknowledged frames and buffered writes.
  maxSessionMemory: 10,
  maxHeaderListPairs: 128,
  settings: { maxHeaderListSize: MAX_HEADER_BYTES, maxConcurrentStreams: 1_000 },
};

type Handler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/**
 * One port for both HTTP/2 (gRPC, which needs it, and any h2c client) and HTTP/1.1
 * (Connect and gRPC-Web from browsers and curl). In cleartext, Node's http2 server cannot
 * fall back to HTTP/1.1, so each connection's first bytes decide which server gets it;
 * under TLS, ALPN does (`h2`, else HTTP/1.1), with client certificates required and
 * verified when `tls.clientCa` is set.
 */
export class DualProtocolListener {
  readonly tcp: net.Server;
  readonly h1: http.Server;
  readonly h2: http2.Http2Server;
  readonly #sockets = new Set<net.Socket>();
  readonly #sessions = new Set<http2.ServerHttp2Session>();

  constructor(handler: Handler, secure?: ServerTls) {
    this.h1 = http.createServer(H1_LIMITS, handler);
    this.h2 = http2.createServer(H2_LIMITS, handler);
    this.h2.on('session', (session) => {
      this.#sessions.add(session);
      session.once('close', () => this.#sessions.delete(session));
    });
    this.tcp = secure
      ? tls.createServer(
          {
            cert: secure.cert.pem,
            key: secure.key.pem,
            ALPNProtocols: ['h2', 'http/1.1'],
            noDelay: true,
            handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
            minVersion: 'TLSv1.2',
            ...(secure.clientCa
              ? { ca: secure.clientCa.pem, requestCert: true, rejectUnauthorized: true }
              : {}),
          },
          (socket) => this.#routeByAlpn(socket),
        )
      : net.createServer({ noDelay: true }, (socket) => this.#route(socket));
  }

  #routeByAlpn(socket: tls.TLSSocket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    (socket.alpnProtocol === 'h2' ? this.h2 : this.h1).emit('connection', socket);
  }

  #route(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const n = Math.min(head.length, H2_PREFACE.length);
      const isH2 = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
      if (isH2 && head.length < H2_PREFACE.length) return; // wait for the whole preface
      socket.off('data', onData);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(head);
      (isH2 ? this.h2 : this.h1).emit('connection', socket);
      // The HTTP/2 session reads the unshifted bytes itself and then takes the socket's
      // handle; resuming the JS stream would steal its data. HTTP/1.1 reads in JS.
      if (!isH2) socket.resume();
    };
    socket.on('data', onData);
    // A connection that never says which protocol it speaks is not kept forever.
    socket.setTimeout(HANDSHAKE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
  }

  listen(port: number, host: string): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(port, host, () => {
        this.tcp.off('error', reject);
        resolve(this.tcp.address() as net.AddressInfo);
      });
    });
  }

  /** Stops accepting connections and asks clients to go away once their calls end. */
  stopAccepting(): void {
    this.tcp.close();
    for (const session of this.#sessions) session.close();
    this.h1.closeIdleConnections();
  }

  /**
   * Lets connections close on their own (HTTP/2 sessions end after GOAWAY once their
   * streams are done, idle HTTP/1.1 connections are closed), for up to `ms`; then ends
   * whatever is left.
   */
  async closeConnections(ms: number): Promise<void> {
    this.h1.closeIdleConnections();
    const sockets = [...this.#sockets];
    const closed = sockets.map((socket) =>
      socket.destroyed
        ? Promise.resolve()
        : new Promise((resolve) => socket.once('close', resolve)),
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    });
    await Promise.race([Promise.all(closed), timeout]);
    clearTimeout(timer);
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#sockets) socket.destroy();
  }
}
