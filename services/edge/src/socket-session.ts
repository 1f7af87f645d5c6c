import type { EdgeGrant, ServerFrame } from '@codeframe/events';
import type { EdgeMetrics } from './edge-metrics.js';
import type { Subscription } from './subscription.js';
import type { UWS } from './uws.js';

/** What the edge keeps per WebSocket (uWS user data). */
export class SocketSession {
  readonly subscriptions = new Map<string, Subscription>();
  closed = false;
  expiryTimer: NodeJS.Timeout | undefined;
  #ws: UWS.WebSocket<{ session: SocketSession }> | undefined;
  #drainWaiters: (() => void)[] = [];
  #recentErrors: number[] = [];

  constructor(
    readonly id: number,
    readonly grant: EdgeGrant,
    private readonly metrics: EdgeMetrics,
    /** Bytes queued above which catch-up sending pauses until the socket drains. */
    readonly pauseBytes: number,
  ) {}

  attach(ws: UWS.WebSocket<{ session: SocketSession }>): void {
    this.#ws = ws;
  }

  get ws(): UWS.WebSocket<{ session: SocketSession }> | undefined {
    return this.closed ? undefined : this.#ws;
  }

  send(frame: string): void {
    const ws = this.ws;
    if (!ws) return;
    ws.send(frame, false);
    this.metrics.messagesOut++;
  }

  sendFrame(frame: ServerFrame): void {
    if (frame.type === 'error') this.metrics.errorFrames++;
    this.send(JSON.stringify(frame));
  }

  /** Runs `fn` with the socket's writes batched into one syscall. */
  cork(fn: () => void): void {
    const ws = this.ws;
    if (ws) ws.cork(fn);
  }

  get buffered(): number {
    return this.ws?.getBufferedAmount() ?? 0;
  }

  get congested(): boolean {
    return this.buffered > this.pauseBytes;
  }

  /** Resolves when the socket drained below the pause mark, or closed. */
  drained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  onDrain(): void {
    if (this.congested) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
    for (const subscription of this.subscriptions.values()) subscription.resume();
  }

  /** Records a malformed frame; true when the socket has sent too many recently. */
  countError(limit: number, windowMs: number): boolean {
    const now = Date.now();
    this.#recentErrors = this.#recentErrors.filter((t) => now - t < windowMs);
    this.#recentErrors.push(now);
    return this.#recentErrors.length > limit;
  }

  markClosed(): void {
    this.closed = true;
    clearTimeout(this.expiryTimer);
    for (const resolve of this.#drainWaiters) resolve();
    this.#drainWaiters = [];
  }
}
