import type { EdgeGrant, ServerFrame } from '@codeframe/events';
import type { EdgeMetrics } from './edge-metrics.js';
import { RecentCount } from './recent-count.js';
import type { Subscription } from './subscription.js';
import type { UWS } from './uws.js';

/** What the edge keeps per WebSocket (uWS user data). */
export class SocketSession {
  readonly subscriptions = new Map<string, Subscription>();
  closed = false;
  /** Set once the edge decided to close the socket: its further frames are ignored. */
  ending = false;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Malformed frames lately; too many close the socket (4002). */
  readonly malformed = new RecentCount(20, 10_000);
  /** Subscriptions refused lately for a cap or an unknown project; too many close it (4004). */
  readonly refusals: RecentCount;
  #ws: UWS.WebSocket<{ session: SocketSession }> | undefined;
  #drainWaiters: (() => void)[] = [];

  constructor(
    readonly id: number,
    readonly grant: EdgeGrant,
    private readonly metrics: EdgeMetrics,
    /** Bytes queued above which catch-up sending pauses until the socket drains. */
    readonly pauseBytes: number,
    /** Refused subscriptions allowed within 10 s before the socket is closed. */
    refusalLimit: number,
  ) {
    this.refusals = new RecentCount(refusalLimit, 10_000);
  }

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

  /** Closes the socket with a code of ours; what it sends meanwhile is ignored. */
  end(code: number, reason: string): void {
    if (this.ending) return;
    this.ending = true;
    this.ws?.end(code, reason);
  }

  /** Subscriptions not yet live (waiting for the feed, or catching up). */
  get pendingSubscriptions(): number {
    let count = 0;
    for (const subscription of this.subscriptions.values()) if (!subscription.live) count++;
    return count;
  }

  markClosed(): void {
    this.closed = true;
    clearTimeout(this.expiryTimer);
    for (const resolve of this.#drainWaiters) resolve();
    this.#drainWaiters = [];
  }
}
