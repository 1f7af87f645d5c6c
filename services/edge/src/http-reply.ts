import type { UWS } from './uws.js';

/**
 * Answers a uWS request from async code: uWS forbids touching a response after the client
 * went away, and wants the writes of one response corked together.
 */
export class HttpReply {
  #aborted = false;

  constructor(private readonly res: UWS.HttpResponse) {
    res.onAborted(() => {
      this.#aborted = true;
    });
  }

  json(status: string, body: unknown, headers: Record<string, string> = {}): void {
    this.send(status, JSON.stringify(body), { 'content-type': 'application/json', ...headers });
  }

  send(status: string, body: string | Buffer, headers: Record<string, string>): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.res.cork(() => {
      this.res.writeStatus(status);
      for (const [name, value] of Object.entries(headers)) this.res.writeHeader(name, value);
      this.res.end(body);
    });
  }

  /** For the WebSocket upgrade, which must also not run after an abort. */
  get aborted(): boolean {
    return this.#aborted;
  }

  cork(fn: () => void): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.res.cork(fn);
  }
}
