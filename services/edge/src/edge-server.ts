import type { Logger } from '@codeframe/runtime';
import { errorFrame, parseClientFrame } from './browser-protocol.js';
import { loadNativeUws, type UWS } from './uws.js';

export interface EdgeServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Largest frame a browser may send; a bigger one closes its connection (uWS code 1009). */
  maxFrameBytes: number;
  /** Bytes queued for one socket before it counts as too slow and is closed. */
  maxBackpressureBytes: number;
}

export interface EdgeServer {
  readonly port: number;
  readonly url: string;
  /** Open WebSocket connections. */
  readonly connections: number;
  close(): void;
}

interface SocketState {
  id: number;
}

const CLOSE_GOING_AWAY = 1001;
const decoder = new TextDecoder();

/**
 * The edge's HTTP and WebSocket server: `/ws` speaks the browser protocol, `/healthz`
 * answers probes.
 */
export function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const uws = loadNativeUws();
  const { logger } = options;
  const sockets = new Set<UWS.WebSocket<SocketState>>();
  let nextId = 1;

  const app = uws
    .App()
    .ws<SocketState>('/ws', {
      maxPayloadLength: options.maxFrameBytes,
      maxBackpressure: options.maxBackpressureBytes,
      closeOnBackpressureLimit: 1,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade(res, req, context) {
        res.upgrade<SocketState>(
          { id: nextId++ },
          req.getHeader('sec-websocket-key'),
          req.getHeader('sec-websocket-protocol'),
          req.getHeader('sec-websocket-extensions'),
          context,
        );
      },
      open(ws) {
        sockets.add(ws);
        logger.debug({ socket: ws.getUserData().id }, 'websocket opened');
      },
      message(ws, data, isBinary) {
        if (isBinary) {
          ws.send(errorFrame('binary frames are not supported: send JSON text frames'));
          return;
        }
        const parsed = parseClientFrame(decoder.decode(data));
        if (!parsed.ok) {
          ws.send(errorFrame(parsed.error));
          return;
        }
        if (parsed.message.type === 'ping') {
          ws.send(JSON.stringify({ type: 'pong' }));
          return;
        }
        ws.send(
          errorFrame(`"${parsed.message.type}" is not available in this version of the edge`),
        );
      },
      close(ws, code) {
        sockets.delete(ws);
        logger.debug({ socket: ws.getUserData().id, code }, 'websocket closed');
      },
    })
    .get('/healthz', (res) => {
      res.writeStatus('200 OK').writeHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', connections: sockets.size }));
    })
    .any('/*', (res) => {
      res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain');
      res.end('not found: the edge serves /ws and /healthz\n');
    });

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (listenSocket) => {
      if (!listenSocket) {
        reject(
          new Error(
            `cannot listen on ${options.host}:${options.port}: the port is in use or HOST is not an address of this machine (set PORT to a free port, or 0 for any)`,
          ),
        );
        return;
      }
      const port = uws.us_socket_local_port(listenSocket as unknown as UWS.us_socket);
      resolve({
        port,
        url: `http://${options.host}:${port}`,
        get connections() {
          return sockets.size;
        },
        close() {
          uws.us_listen_socket_close(listenSocket);
          for (const ws of [...sockets]) ws.end(CLOSE_GOING_AWAY, 'edge shutting down');
        },
      });
    });
  });
}
