import type { UWS } from './uws.js';

/**
 * Answers a uWS request from async code: uWS forbids touching a response after the client
 * went away, and wants the writes of one response corked together.
 */
export class HttpReply {
  /** `writing` while a cork runs; a cork that threw leaves it there (half an answer sent). */
  #state: 'open' | 'writing' | 'done' = 'open';

  constructor(private readonly res: UWS.HttpResponse) {}

  /**
   * Notes the client going away, which uWS requires before a handler returns unanswered: an
   * answer from async code is then skipped. A handler that answered at once needs none.
   */
  watchAbort(): void {
    if (this.#state !== 'open') return;
    this.res.onAborted(() => {
      this.#state = 'done';
    });
  }

  json(status: string, body: unknown, headers: Record<string, string> = {}): void {
    this.send(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  send(status: string, body: string | Buffer, headers: Record<string, string>): void {
    this.cork(() => {
      this.res.writeStatus(status);
      for (const [name, value] of Object.entries(headers)) this.res.writeHeader(name, value);
      this.res.end(body);
    });
  }

  /** Runs `fn`, which answers the request (or upgrades it), unless it was answered already. */
  cork(fn: () => void): void {
    if (this.#state !== 'open') return;
    this.#state = 'writing';
    this.res.cork(fn);
    this.#state = 'done';
  }

  /** Upgrades the request to a WebSocket, unless it was answered already. */
  upgrade<T>(
    userData: T,
    key: string,
    protocol: string,
    extensions: string,
    context: UWS.us_socket_context_t,
  ): void {
    this.cork(() => this.res.upgrade(userData, key, protocol, extensions, context));
  }

  /** Answers with an error; when an answer was already half written, drops the connection. */
  fail(status: string, body: unknown): void {
    if (this.#state === 'open') {
      this.json(status, body, { 'cache-control': 'no-store' });
    } else if (this.#state === 'writing') {
      this.#state = 'done';
      this.res.close();
    }
  }
}
