import type { Logger } from '@codeframe/runtime';
import type { EdgeMetrics } from './edge-metrics.js';
import { errorReply, internalErrorSentence, logInternalError } from './error-reply.js';
import { HttpReply } from './http-reply.js';
import type { OriginPolicy } from './origin-policy.js';
import type { SocketSession } from './socket-session.js';
import type { UWS } from './uws.js';

/** A request handler: reads what it needs from `req` at once (uWS frees it on return). */
export type HttpHandler<A extends unknown[]> = (
  reply: HttpReply,
  req: UWS.HttpRequest,
  ...rest: A
) => void | Promise<void>;

export type SocketData = { session: SocketSession };
type Socket = UWS.WebSocket<SocketData>;

/** uWS: "the server terminated the connection because of an internal error". */
const CLOSE_INTERNAL_ERROR = 1011;

/**
 * The one wrapper around every uWS handler. uWS turns an exception thrown in a handler into
 * the end of the process, so nothing may escape one: a thrown error, now or in the handler's
 * promise, becomes an answer (see `errorReply`) or, on a socket, an `error` frame naming the
 * id it was logged under. HTTP handlers first check the Host header.
 */
export class HandlerGuard {
  constructor(
    private readonly logger: Logger,
    private readonly metrics: EdgeMetrics,
    private readonly policy: OriginPolicy,
  ) {}

  /** Wraps an HTTP route or the WebSocket upgrade; `anyHost` skips the Host check (probes). */
  http<A extends unknown[]>(
    where: string,
    handler: HttpHandler<A>,
    options: { anyHost?: boolean } = {},
  ): (res: UWS.HttpResponse, req: UWS.HttpRequest, ...rest: A) => void {
    return (res, req, ...rest) => {
      const reply = new HttpReply(res);
      try {
        if (!options.anyHost && !this.#hostAllowed(reply, req)) return;
        const done = handler(reply, req, ...rest);
        if (done instanceof Promise) {
          reply.watchAbort();
          done.catch((error) => this.#failHttp(reply, error, where));
        }
      } catch (error) {
        this.#failHttp(reply, error, where);
      }
    };
  }

  /** Wraps a WebSocket handler (open, message, drain, close). */
  socket<A extends unknown[]>(
    where: string,
    handler: (ws: Socket, ...rest: A) => void,
  ): (ws: Socket, ...rest: A) => void {
    return (ws, ...rest) => {
      try {
        handler(ws, ...rest);
      } catch (error) {
        this.#failSocket(() => ws.getUserData().session, error, where);
        if (where !== 'open') return;
        try {
          ws.end(CLOSE_INTERNAL_ERROR, 'the edge failed to open the socket');
        } catch {
          // Already closed: nothing left to end.
        }
      }
    };
  }

  /** Watches async work started for a socket, so its failure reaches the socket too. */
  task(session: SocketSession, where: string, work: Promise<unknown>): void {
    work.catch((error) => this.#failSocket(() => session, error, where));
  }

  #hostAllowed(reply: HttpReply, req: UWS.HttpRequest): boolean {
    const refusal = this.policy.hostRefusal(req.getHeader('host'));
    if (refusal === undefined) return true;
    this.metrics.refusedHosts++;
    reply.json('421 Misdirected Request', { error: refusal });
    return false;
  }

  #failHttp(reply: HttpReply, error: unknown, where: string): void {
    try {
      const { status, body } = errorReply(error, where, this.logger, this.metrics);
      reply.fail(status, body);
    } catch (failure) {
      this.logger.error({ err: failure, where }, 'could not answer a failed request');
    }
  }

  #failSocket(session: () => SocketSession, error: unknown, where: string): void {
    try {
      const errorId = logInternalError(error, `websocket ${where}`, this.logger, this.metrics);
      session().sendFrame({
        type: 'error',
        error: internalErrorSentence(errorId),
        error_id: errorId,
      });
    } catch (failure) {
      this.logger.error({ err: failure, where }, 'could not report a failed socket handler');
    }
  }
}
