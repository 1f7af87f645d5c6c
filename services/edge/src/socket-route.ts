import { CloseCode, type EdgeGrant } from '@codeframe/events';
import type { LeadClient } from '@codeframe/rpc';
import type { Logger } from '@codeframe/runtime';
import { forwardAnswer } from './blocker-answers.js';
import { parseClientFrame } from './client-frame.js';
import { chosenProtocol, type EdgeAuth, requestToken } from './edge-auth.js';
import type { EdgeMetrics } from './edge-metrics.js';
import type { FanOut } from './fan-out.js';
import type { HandlerGuard, SocketData } from './handler-guard.js';
import type { HttpReply } from './http-reply.js';
import type { OriginPolicy } from './origin-policy.js';
import { type SessionSettings, SocketSession } from './socket-session.js';
import type { UWS } from './uws.js';
import { handshakeRefusal } from './websocket-handshake.js';

export interface SocketRouteOptions {
  guard: HandlerGuard;
  policy: OriginPolicy;
  auth: EdgeAuth;
  fanOut: FanOut;
  lead: LeadClient;
  metrics: EdgeMetrics;
  logger: Logger;
  maxFrameBytes: number;
  maxBackpressureBytes: number;
  /** Refused subscriptions a socket may have within 10 s before it is closed (4004). */
  maxRefusedSubscriptions: number;
}

/** The headers of a WebSocket upgrade that its answer needs (uWS frees `req` on return). */
interface UpgradeHeaders {
  key: string;
  protocols: string;
  extensions: string;
}

export const HEARTBEAT_TOPIC = 'heartbeat';
/** uWS closes (abruptly, code 1006) a socket whose queue outgrows the limit this many times over before a sweep does. */
const HARD_LIMIT_FACTOR = 4;
const MAX_TIMER_MS = 2 ** 31 - 1;
const decoder = new TextDecoder();

/** `/ws`: the browser protocol, each handler behind the guard. */
export function routeSockets(app: UWS.TemplatedApp, options: SocketRouteOptions): void {
  const { guard, policy, auth, fanOut, lead, metrics, logger } = options;
  let nextId = 1;
  const sessionSettings: SessionSettings = {
    metrics,
    pauseBytes: options.maxBackpressureBytes / 2,
    refusalLimit: options.maxRefusedSubscriptions,
  };

  const accept = (
    reply: HttpReply,
    grant: EdgeGrant,
    headers: UpgradeHeaders,
    context: UWS.us_socket_context_t,
  ) => {
    const session = new SocketSession(nextId++, grant, sessionSettings);
    reply.upgrade<SocketData>(
      { session },
      headers.key,
      chosenProtocol(headers.protocols),
      headers.extensions,
      context,
    );
  };

  const refuse = (session: SocketSession, error: string) => {
    session.sendFrame({ type: 'error', error });
    if (session.malformed.add()) session.end(CloseCode.TooManyErrors, 'too many malformed frames');
  };

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
      case 'answer_blocker': {
        const { blockerId } = message;
        const answered = forwardAnswer(lead, session.grant, blockerId, message.answer);
        guard.task(
          session,
          'answer_blocker',
          answered.then((error) => {
            if (error) {
              session.cork(() =>
                session.sendFrame({ type: 'error', error, blocker_id: blockerId }),
              );
            }
          }),
        );
        return;
      }
    }
  };

  /** Answers a request that is not a well-formed opening handshake; true when it did. */
  const refusedHandshake = (reply: HttpReply, req: UWS.HttpRequest): boolean => {
    const refusal = handshakeRefusal({
      upgrade: req.getHeader('upgrade'),
      connection: req.getHeader('connection'),
      key: req.getHeader('sec-websocket-key'),
      version: req.getHeader('sec-websocket-version'),
    });
    if (!refusal) return false;
    metrics.badRequests++;
    reply.json(refusal.status, { error: refusal.error }, refusal.headers);
    return true;
  };

  app.ws<SocketData>('/ws', {
    maxPayloadLength: options.maxFrameBytes,
    maxBackpressure: options.maxBackpressureBytes * HARD_LIMIT_FACTOR,
    closeOnBackpressureLimit: 1,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: guard.http('websocket upgrade', (reply, req, context: UWS.us_socket_context_t) => {
      if (refusedHandshake(reply, req)) return;
      const headers: UpgradeHeaders = {
        key: req.getHeader('sec-websocket-key'),
        protocols: req.getHeader('sec-websocket-protocol'),
        extensions: req.getHeader('sec-websocket-extensions'),
      };
      const origin = req.getHeader('origin');
      const host = req.getHeader('host');
      const token = requestToken({
        query: req.getQuery() ?? '',
        authorization: req.getHeader('authorization'),
        protocols: headers.protocols,
      });
      if (!policy.originAllowed(origin, host)) {
        metrics.refusedOrigins++;
        reply.json('403 Forbidden', {
          error: `origin ${JSON.stringify(origin)} is not allowed: open the dashboard from this edge, or list the origin in CODEFRAME_EDGE_ALLOWED_ORIGINS`,
        });
        return;
      }
      // An open edge has no token to verify: the upgrade then completes before this returns,
      // leaving no promise, closure or abort handler behind for each socket.
      const grant = auth.grantFor(token);
      if (grant instanceof Promise) {
        return grant.then((verified) => accept(reply, verified, headers, context));
      }
      return accept(reply, grant, headers, context);
    }),
    open: guard.socket('open', (ws) => {
      const { session } = ws.getUserData();
      session.attach(ws);
      fanOut.sessionOpened(session);
      ws.subscribe(HEARTBEAT_TOPIC);
      const { expiresAt } = session.grant;
      if (expiresAt !== undefined) {
        const ms = Math.min(MAX_TIMER_MS, Math.max(0, expiresAt * 1000 - Date.now()));
        session.expiryTimer = setTimeout(
          () => session.end(CloseCode.Unauthorized, 'token expired'),
          ms,
        );
      }
      logger.debug({ socket: session.id, subject: session.grant.subject }, 'websocket opened');
    }),
    message: guard.socket('message', (ws, data: ArrayBuffer, isBinary: boolean) => {
      const { session } = ws.getUserData();
      if (session.ending) return;
      if (isBinary) {
        refuse(session, 'binary frames are not supported: send JSON text frames');
        return;
      }
      onMessage(session, decoder.decode(data));
    }),
    drain: guard.socket('drain', (ws) => {
      ws.getUserData().session.onDrain();
    }),
    close: guard.socket('close', (ws, code: number) => {
      const { session } = ws.getUserData();
      session.markClosed();
      fanOut.sessionClosed(session);
      logger.debug({ socket: session.id, code }, 'websocket closed');
    }),
  });
  // uWS passes a GET /ws without a 24-character Sec-WebSocket-Key on to the next route.
  app.get(
    '/ws',
    guard.http('websocket upgrade', (reply, req) => {
      if (!refusedHandshake(reply, req)) {
        reply.json('400 Bad Request', { error: 'not a WebSocket handshake' });
      }
    }),
  );
}
