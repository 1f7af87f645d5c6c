// The WebSocket to the edge: JSON text frames in and out, reconnection with backoff, and a
// watchdog that gives up on a socket that has gone silent (the edge sends a heartbeat every
// ~15 s, so 45 s without any frame means the connection is dead even if TCP has not noticed).
import { CloseCode, NO_HEARTBEAT_CLOSE } from './close-codes.js';
import type { ClientFrame, ServerFrame } from './protocol.js';
import { ReconnectBackoff } from './reconnect-backoff.js';

export type SocketState =
  /** A socket is being opened. */
  | 'connecting'
  /** The socket is open. */
  | 'open'
  /** Waiting `retryAt` before the next attempt. */
  | 'waiting'
  /** The browser says it is offline; the next attempt comes when it is back. */
  | 'offline'
  /** The edge rejected the token (close code 4001): no more attempts. */
  | 'unauthorized'
  /** Stopped by the page. */
  | 'stopped';

export interface ConnectionHandlers {
  open(): void;
  frame(frame: ServerFrame): void;
  /** A socket ended; `opened` is false when it never got as far as open. */
  closed(code: number, reason: string, opened: boolean): void;
  stateChanged(state: SocketState): void;
}

export interface ConnectionOptions {
  /** Close and reconnect when no frame arrived for this long. */
  silenceMs?: number;
  /** Give up on a socket that has not opened after this long. */
  connectTimeoutMs?: number;
}

export class EdgeConnection {
  #state: SocketState = 'stopped';
  #ws: WebSocket | undefined;
  #opened = false;
  #since = 0;
  #lastFrameAt = 0;
  #retryAt = 0;
  #retryTimer: number | undefined;
  #watchdog: number | undefined;
  readonly #backoff = new ReconnectBackoff();
  readonly #silenceMs: number;
  readonly #connectTimeoutMs: number;

  constructor(
    private readonly url: () => string,
    private readonly handlers: ConnectionHandlers,
    options: ConnectionOptions = {},
  ) {
    this.#silenceMs = options.silenceMs ?? 45_000;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    window.addEventListener('online', () => {
      if (this.#state === 'offline' || this.#state === 'waiting') this.reconnectNow();
    });
  }

  get state(): SocketState {
    return this.#state;
  }

  /** When the next attempt starts, while `state` is `waiting`. */
  get retryAt(): number {
    return this.#retryAt;
  }

  start(): void {
    if (this.#state !== 'stopped') return;
    this.#watchdog = window.setInterval(() => this.#checkSilence(), 1_000);
    this.#connect();
  }

  stop(state: 'stopped' | 'unauthorized' = 'stopped'): void {
    window.clearInterval(this.#watchdog);
    window.clearTimeout(this.#retryTimer);
    this.#drop(1000, 'closed by the page');
    this.#detach();
    this.#setState(state);
  }

  /** Skips the wait (the browser came back online, or the user asked). */
  reconnectNow(): void {
    if (this.#state === 'unauthorized' || this.#state === 'stopped') return;
    if (this.#state === 'open' || this.#state === 'connecting') return;
    window.clearTimeout(this.#retryTimer);
    this.#connect();
  }

  /** The subscription is confirmed: the next failure starts the backoff from the beginning. */
  healthy(): void {
    this.#backoff.reset();
  }

  /** Sends when open; false when the frame could not be sent. */
  send(frame: ClientFrame): boolean {
    const ws = this.#ws;
    if (this.#state !== 'open' || !ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(frame));
    return true;
  }

  #connect(): void {
    let ws: WebSocket;
    this.#opened = false;
    this.#since = Date.now();
    this.#setState('connecting');
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      console.warn('cannot open the WebSocket', err);
      this.#scheduleReconnect();
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (ws !== this.#ws) return;
      this.#opened = true;
      this.#lastFrameAt = Date.now();
      this.#setState('open');
      this.handlers.open();
    };
    ws.onmessage = (message: MessageEvent) => {
      if (ws !== this.#ws) return;
      this.#lastFrameAt = Date.now();
      if (typeof message.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(message.data);
      } catch {
        console.warn('ignored a frame that is not JSON', message.data.slice(0, 200));
        return;
      }
      if (
        frame &&
        typeof frame === 'object' &&
        typeof (frame as { type?: unknown }).type === 'string'
      ) {
        this.handlers.frame(frame as ServerFrame);
      }
    };
    ws.onclose = (event: CloseEvent) => {
      if (ws !== this.#ws) return;
      this.#ended(event.code, event.reason);
    };
  }

  /** The current socket is over, for whatever reason: tell the page, then retry or stop. */
  #ended(code: number, reason: string): void {
    const opened = this.#opened;
    this.#detach();
    this.handlers.closed(code, reason, opened);
    if (this.#state === 'stopped' || this.#state === 'unauthorized') return;
    if (code === CloseCode.Unauthorized) {
      this.stop('unauthorized');
      return;
    }
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const delay = this.#backoff.next();
    this.#retryAt = Date.now() + delay;
    this.#retryTimer = window.setTimeout(() => this.#connect(), delay);
    this.#setState(navigator.onLine === false ? 'offline' : 'waiting');
  }

  #checkSilence(): void {
    const now = Date.now();
    if (this.#state === 'open' && now - this.#lastFrameAt > this.#silenceMs) {
      this.#drop(NO_HEARTBEAT_CLOSE, 'no frame from the edge for 45 s');
      this.#ended(NO_HEARTBEAT_CLOSE, 'no frame from the edge for 45 s');
    } else if (this.#state === 'connecting' && now - this.#since > this.#connectTimeoutMs) {
      this.#drop(NO_HEARTBEAT_CLOSE, 'the socket did not open in time');
      this.#ended(NO_HEARTBEAT_CLOSE, 'the socket did not open in time');
    }
  }

  /** Closes the current socket without waiting for its close event. */
  #drop(code: number, reason: string): void {
    const ws = this.#ws;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    try {
      ws.close(code, reason);
    } catch {
      // Already closing.
    }
  }

  #detach(): void {
    const ws = this.#ws;
    if (ws) ws.onopen = ws.onmessage = ws.onclose = null;
    this.#ws = undefined;
  }

  #setState(state: SocketState): void {
    if (state === this.#state) return;
    this.#state = state;
    this.handlers.stateChanged(state);
  }
}
