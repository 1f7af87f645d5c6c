import { randomBytes } from 'node:crypto';
import { CloseCode, EdgeTokenError } from '@codeframe/events';
import type { Logger } from '@codeframe/runtime';
import { forwardAnswer } from './blocker-answers.js';
import { parseClientFrame } from './client-frame.js';
import { loadDashboard } from './dashboard-files.js';
import { chosenProtocol, EdgeAuth, originAllowed, requestToken } from './edge-auth.js';
import { EdgeMetrics } from './edge-metrics.js';
import { FanOut } from './fan-out.js';
import { routeHttpApi } from './http-api.js';
import { HttpReply } from './http-reply.js';
import type { LeadClient } from './lead-client.js';
import { SocketSession } from './socket-session.js';
import { loadNativeUws, type UWS } from './uws.js';

export interface EdgeServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  lead: LeadClient;
  /** HS256 secret of browser tokens; undefined leaves the edge open. */
  jwtSecret: string | undefined;
  /** Origins allowed to open a WebSocket; empty allows all. */
  allowedOrigins: readonly string[];
  /** Largest frame a browser may send; a bigger one closes its connection (uWS code 1009). */
  maxFrameBytes: number;
  /** Bytes queued for one socket before it counts as too slow and is closed. */
  maxBackpressureBytes: number;
  heartbeatMs: number;
  ringCapacity: number;
  upstreamGraceMs: number;
  /** The built dashboard; the page is not served when it is missing. */
  dashboardDir: string;
}

export interface EdgeServer {
  readonly port: number;
  readonly url: string;
  readonly epoch: string;
  /** Open WebSocket connections. */
  readonly connections: number;
  close(): void;
}

type SocketData = { session: SocketSession };

const CLOSE_GOING_AWAY = 1001;
const HEARTBEAT_TOPIC = 'heartbeat';
/** A socket sending more malformed frames than this within the window is closed. */
const ERROR_LIMIT = { count: 20, windowMs: 10_000 };
/** How often socket queues are checked against the backpressure limit. */
const SLOW_CLIENT_SWEEP_MS = 100;
/** uWS closes (abruptly, code 1006) a socket whose queue outgrows the limit this many times over before a sweep does. */
const HARD_LIMIT_FACTOR = 4;
const MAX_TIMER_MS = 2 ** 31 - 1;
const decoder = new TextDecoder();

/**
 * The edge's HTTP and WebSocket server: `/ws` speaks the browser protocol, `/api/…` serves
 * snapshots, `/` the dashboard, `/healthz` and `/metrics` the operators.
 */
export function startEdgeServer(options: EdgeServerOptions): Promise<EdgeServer> {
  const uws = loadNativeUws();
  const { logger, lead } = options;
  const epoch = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const metrics = new EdgeMetrics();
  const auth = new EdgeAuth(options.jwtSecret);
  const dashboard = loadDashboard(options.dashboardDir);
  if (!dashboard) {
    logger.warn({ dir: options.dashboardDir }, 'dashboard not built: run `npm run build`');
  }
  let nextId = 1;

  const app = uws.App();
  const publish = (topic: string, frame: string) => {
    metrics.messagesOut += app.numSubscribers(topic);
    app.publish(topic, frame, false);
  };
  const fanOut = new FanOut({
    lead,
    logger,
    metrics,
    epoch,
    ringCapacity: options.ringCapacity,
    upstreamGraceMs: options.upstreamGraceMs,
    aheadWaitMs: 5_000,
    publish,
  });

  const onMessage = (session: SocketSession, text: string) => {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      refuse(session, parsed.error);
      return;
    }
    const message = parsed.message;
    switch (message.type) {
      case 'ping':
        session.sendFrame({ type: 'pong' });
        return;
      case 'subscribe':
        fanOut.subscribe(session, message.projectId, message.lastSeq);
        return;
      case 'unsubscribe':
        if (fanOut.unsubscribe(session, message.projectId)) {
          session.sendFrame({ type: 'unsubscribed', project_id: message.projectId });
        } else {
          refuse(session, `not subscribed to project ${message.projectId}`);
        }
        return;
      case 'answer_blocker':
        void forwardAnswer(lead, session.grant, message.blockerId, message.answer).then((error) => {
          if (error) {
            session.cork(() =>
              session.sendFrame({ type: 'error', error, blocker_id: message.blockerId }),
            );
          }
        });
        return;
    }
  };

  const refuse = (session: SocketSession, error: string) => {
    session.sendFrame({ type: 'error', error });
    if (session.countError(ERROR_LIMIT.count, ERROR_LIMIT.windowMs)) {
      session.ws?.end(CloseCode.TooManyErrors, 'too many malformed frames');
    }
  };

  app
    .ws<SocketData>('/ws', {
      maxPayloadLength: options.maxFrameBytes,
      maxBackpressure: options.maxBackpressureBytes * HARD_LIMIT_FACTOR,
      closeOnBackpressureLimit: 1,
      idleTimeout: 120,
      sendPingsAutomatically: true,
      upgrade(res, req, context) {
        const headers = {
          key: req.getHeader('sec-websocket-key'),
          protocols: req.getHeader('sec-websocket-protocol'),
          extensions: req.getHeader('sec-websocket-extensions'),
          origin: req.getHeader('origin'),
        };
        const token = requestToken({
          query: req.getQuery() ?? '',
          authorization: req.getHeader('authorization'),
          protocols: headers.protocols,
        });
        const reply = new HttpReply(res);
        if (!originAllowed(options.allowedOrigins, headers.origin)) {
          reply.json('403 Forbidden', { error: `origin ${headers.origin} is not allowed` });
          return;
        }
        auth.grantFor(token).then(
          (grant) =>
            reply.cork(() => {
              const session = new SocketSession(
                nextId++,
                grant,
                metrics,
                options.maxBackpressureBytes / 2,
              );
              res.upgrade<SocketData>(
                { session },
                headers.key,
                chosenProtocol(headers.protocols),
                headers.extensions,
                context,
              );
            }),
          (error) => {
            metrics.authFailures++;
            const message = error instanceof EdgeTokenError ? error.message : String(error);
            reply.json('401 Unauthorized', { error: message });
          },
        );
      },
      open(ws) {
        const { session } = ws.getUserData();
        session.attach(ws);
        fanOut.sessionOpened(session);
        ws.subscribe(HEARTBEAT_TOPIC);
        const { expiresAt } = session.grant;
        if (expiresAt !== undefined) {
          const ms = Math.min(MAX_TIMER_MS, Math.max(0, expiresAt * 1000 - Date.now()));
          session.expiryTimer = setTimeout(
            () => session.ws?.end(CloseCode.Unauthorized, 'token expired'),
            ms,
          );
        }
        logger.debug({ socket: session.id, subject: session.grant.subject }, 'websocket opened');
      },
      message(ws, data, isBinary) {
        const { session } = ws.getUserData();
        if (isBinary) {
          refuse(session, 'binary frames are not supported: send JSON text frames');
          return;
        }
        onMessage(session, decoder.decode(data));
      },
      drain(ws) {
        ws.getUserData().session.onDrain();
      },
      close(ws, code) {
        const { session } = ws.getUserData();
        session.markClosed();
        fanOut.sessionClosed(session);
        logger.debug({ socket: session.id, code }, 'websocket closed');
      },
    })
    .get('/healthz', (res) => {
      res.writeStatus('200 OK').writeHeader('content-type', 'application/json');
      res.end(JSON.stringify({ status: 'ok', epoch, connections: fanOut.sessions.size }));
    })
    .get('/metrics', (res) => {
      res.writeStatus('200 OK').writeHeader('content-type', 'text/plain; version=0.0.4');
      res.end(
        metrics.render({ connections: () => fanOut.sessions.size, ...fanOut.metricsSources }),
      );
    });
  routeHttpApi(app, { lead, auth, metrics, logger });
  app.get('/*', (res, req) => {
    const url = req.getUrl();
    const file = dashboard?.get(url === '/' ? '/index.html' : url);
    if (!file) {
      res.writeStatus('404 Not Found').writeHeader('content-type', 'text/plain');
      res.end(
        dashboard
          ? 'not found: the edge serves /, /ws, /api/projects, /healthz and /metrics\n'
          : 'the dashboard is not built: run `npm run build`\n',
      );
      return;
    }
    res.writeStatus('200 OK').writeHeader('content-type', file.contentType);
    res.writeHeader(
      'cache-control',
      file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    );
    res.end(file.body);
  });
  app.any('/*', (res) => {
    res.writeStatus('405 Method Not Allowed').writeHeader('content-type', 'text/plain');
    res.end('the edge answers GET requests and WebSocket upgrades on /ws\n');
  });

  const heartbeat = setInterval(() => {
    publish(
      HEARTBEAT_TOPIC,
      JSON.stringify({ type: 'heartbeat', timestamp: new Date().toISOString() }),
    );
  }, options.heartbeatMs);
  const sweep = setInterval(() => {
    for (const session of fanOut.sessions) {
      if (session.buffered <= options.maxBackpressureBytes) continue;
      metrics.slowClientCloses++;
      logger.warn({ socket: session.id, buffered: session.buffered }, 'closing a slow client');
      session.ws?.end(CloseCode.TooSlow, 'too slow: the backpressure limit was reached');
    }
  }, SLOW_CLIENT_SWEEP_MS);

  return new Promise((resolve, reject) => {
    app.listen(options.host, options.port, (listenSocket) => {
      if (!listenSocket) {
        clearInterval(heartbeat);
        clearInterval(sweep);
        reject(
          new Error(
            `cannot listen on ${options.host}:${options.port}: the port is in use or HOST is not an address of this machine (set PORT to a free port, or 0 for any)`,
          ),
        );
        return;
      }
      const port = uws.us_socket_local_port(listenSocket as unknown as UWS.us_socket);
      if (!auth.enabled) {
        logger.warn('CODEFRAME_EDGE_JWT_SECRET is not set: any client may watch any project');
      }
      resolve({
        port,
        url: `http://${options.host}:${port}`,
        epoch,
        get connections() {
          return fanOut.sessions.size;
        },
        close() {
          clearInterval(heartbeat);
          clearInterval(sweep);
          uws.us_listen_socket_close(listenSocket);
          fanOut.close();
          for (const session of [...fanOut.sessions]) {
            session.ws?.end(CLOSE_GOING_AWAY, 'edge shutting down');
          }
        },
      });
    });
  });
}
