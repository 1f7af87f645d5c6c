import { randomBytes } from 'node:crypto';
import { CloseCode } from '@codeframe/events';
import type { LeadClient } from '@codeframe/rpc';
import { type Logger, renderMetrics } from '@codeframe/runtime';
import { loadDashboard } from './dashboard-files.js';
import { EdgeAuth } from './edge-auth.js';
import { EdgeMetrics } from './edge-metrics.js';
import { FanOut } from './fan-out.js';
import { HandlerGuard } from './handler-guard.js';
import { routeHttpApi } from './http-api.js';
import { OriginPolicy } from './origin-policy.js';
import { HEARTBEAT_TOPIC, routeSockets } from './socket-route.js';
import type { SocketSession } from './socket-session.js';
import { loadNativeUws, type UWS } from './uws.js';

export interface EdgeServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  lead: LeadClient;
  /** HS256 secret of browser tokens; undefined leaves the edge open. */
  jwtSecret: string | undefined;
  /**
   * CODEFRAME_ALLOWED_HOSTS: host names requests may name besides `localhost`, `*.localhost`,
   * IP addresses and `host` (`hostNameRule` of @codeframe/rpc); `*`: any.
   */
  allowedHosts: readonly string[];
  /** Origins allowed to open a WebSocket; empty: the edge's own (see OriginPolicy); `*`: any. */
  allowedOrigins: readonly string[];
  /** Largest frame a browser may send; a bigger one closes its connection (uWS code 1009). */
  maxFrameBytes: number;
  /** Bytes queued for one socket before it counts as too slow and is closed. */
  maxBackpressureBytes: number;
  /** Subscriptions one socket may hold. */
  maxSubscriptions: number;
  /** Subscriptions of one socket that may be starting (not yet live) at once. */
  maxPendingSubscriptions: number;
  /** Refused subscriptions (caps, unknown projects) a socket may have in 10 s before it is closed. */
  maxRefusedSubscriptions: number;
  /** Projects the edge may be looking up at the lead at once, for all sockets. */
  maxOpeningProjects: number;
  heartbeatMs: number;
  ringCapacity: number;
  upstreamGraceMs: number;
  /** CODEFRAME_EDGE_FEED_WAIT_MS: the longest a feed waits for a congested socket to drain. */
  feedWaitMs: number;
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

const CLOSE_GOING_AWAY = 1001;
/** How often socket queues are checked against the backpressure limit. */
const SLOW_CLIENT_SWEEP_MS = 100;

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
  const policy = new OriginPolicy({ ...options, listenHost: options.host });
  const guard = new HandlerGuard(logger, metrics, policy);
  const dashboard = loadDashboard(options.dashboardDir);
  if (!dashboard) {
    logger.warn({ dir: options.dashboardDir }, 'dashboard not built: run `npm run build`');
  }

  const app = uws.App();
  const publish = (topic: string, frame: string) => {
    metrics.messagesOut += app.numSubscribers(topic);
    app.publish(topic, frame, false);
  };
  /** Closes a socket whose queue passed the limit; true when it did (or already had). */
  const closeIfSlow = (session: SocketSession): boolean => {
    if (session.ending) return true;
    if (session.buffered <= options.maxBackpressureBytes) return false;
    metrics.slowClientCloses++;
    logger.warn({ socket: session.id, buffered: session.buffered }, 'closing a slow client');
    session.end(CloseCode.TooSlow, 'too slow: the backpressure limit was reached');
    return true;
  };
  const fanOut = new FanOut({
    lead,
    logger,
    metrics,
    epoch,
    ringCapacity: options.ringCapacity,
    upstreamGraceMs: options.upstreamGraceMs,
    aheadWaitMs: 5_000,
    limits: options,
    // Half the limit is where a socket counts as congested (SocketSession.pauseBytes).
    pace: { checkBytes: options.maxBackpressureBytes / 8, waitMs: options.feedWaitMs },
    publish,
    closeIfSlow,
    onRefused(session) {
      if (!session.refusals.add()) return;
      metrics.limitCloses++;
      logger.warn({ socket: session.id }, 'closing a socket that kept asking past its limits');
      session.end(CloseCode.LimitExceeded, 'too many refused subscriptions');
    },
    track: (session, start) => guard.task(session, 'subscribe', start),
  });

  routeSockets(app, { ...options, guard, policy, auth, fanOut, metrics });
  app.get(
    '/healthz',
    // Probes name the machine by address, so /healthz (which tells nothing) answers any Host.
    guard.http(
      'healthz',
      (reply) => reply.json('200 OK', { status: 'ok', epoch, connections: fanOut.sessions.size }),
      { anyHost: true },
    ),
  );
  app.get(
    '/metrics',
    guard.http('metrics', async (reply) => {
      // The edge's own families, then the process registry's (event loop, heap, GC).
      const edge = await metrics.render({
        connections: () => fanOut.sessions.size,
        ...fanOut.metricsSources,
      });
      const { text } = await renderMetrics();
      reply.send('200 OK', edge + text, { 'content-type': 'text/plain; version=0.0.4' });
    }),
  );
  routeHttpApi(app, { lead, auth, guard });
  app.get(
    '/*',
    guard.http('dashboard', (reply, req) => {
      const url = req.getUrl();
      const file = dashboard?.get(url === '/' ? '/index.html' : url);
      if (!file) {
        reply.send(
          '404 Not Found',
          dashboard
            ? 'not found: the edge serves /, /ws, /api/projects, /api/artifacts, /healthz and /metrics\n'
            : 'the dashboard is not built: run `npm run build`\n',
          { 'content-type': 'text/plain' },
        );
        return;
      }
      reply.send('200 OK', file.body, {
        'content-type': file.contentType,
        'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }),
  );
  app.any(
    '/*',
    guard.http('other methods', (reply) =>
      reply.send(
        '405 Method Not Allowed',
        'the edge answers GET requests and WebSocket upgrades on /ws\n',
        { 'content-type': 'text/plain' },
      ),
    ),
  );

  const heartbeat = setInterval(() => {
    publish(
      HEARTBEAT_TOPIC,
      JSON.stringify({ type: 'heartbeat', timestamp: new Date().toISOString() }),
    );
  }, options.heartbeatMs);
  // forEach, not for-of: ten times a second over every socket, an iterator's result objects
  // would be garbage in proportion to the connections, however idle they are.
  const sweep = setInterval(() => fanOut.sessions.forEach(closeIfSlow), SLOW_CLIENT_SWEEP_MS);

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
