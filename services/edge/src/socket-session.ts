import type { EdgeGrant, ServerFrame } from '@codeframe/events';
import type { EdgeMetrics } from './edge-metrics.js';
import { ProjectSubscriptions } from './project-subscriptions.js';
import { RecentCount } from './recent-count.js';
import type { UWS } from './uws.js';

/** What every socket of the edge shares, given to each session rather than copied into it. */
export interface SessionSettings {
  metrics: EdgeMetrics;
  /** Bytes queued above which catch-up sending pauses until the socket drains. */
  pauseBytes: number;
  /** Refused subscriptions allowed within 10 s before the socket is closed. */
  refusalLimit: number;
}

/** Malformed frames allowed within the window before the socket is closed. */
const MALFORMED_LIMIT = 20;
const LIMIT_WINDOW_MS = 10_000;

/**
 * What the edge keeps per WebSocket (uWS user data). An idle socket holds only this: what
 * only some sockets need (the counts of malformed frames and refusals, drain waiters, a Map
 * of subscriptions) is made when first needed.
 */
export class SocketSession {
  readonly subscriptions = new ProjectSubscriptions();
  closed = false;
  /** Set once the edge decided to close the socket: its further frames are ignored. */
  ending = false;
  /** Did not drain within the pacing's wait: its feeds no longer wait for it until it does. */
  leftBehind = false;
  expiryTimer: NodeJS.Timeout | undefined;
  #malformed: RecentCount | undefined;
  #refusals: RecentCount | undefined;
  #ws: UWS.WebSocket<{ session: SocketSession }> | undefined;
  #drainWaiters: (() => void)[] | undefined;

  constructor(
    readonly id: number,
    readonly grant: EdgeGrant,
    private readonly settings: SessionSettings,
  ) {}

  /** Malformed frames lately; too many close the socket (4002). */
  get malformed(): RecentCount {
    this.#malformed ??= new RecentCount(MALFORMED_LIMIT, LIMIT_WINDOW_MS);
    return this.#malformed;
  }

  /** Subscriptions refused lately for a cap or an unknown project; too many close it (4004). */
  get refusals(): RecentCount {
    this.#refusals ??= new RecentCount(this.settings.refusalLimit, LIMIT_WINDOW_MS);
    return this.#refusals;
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
    this.settings.metrics.messagesOut++;
  }

  sendFrame(frame: ServerFrame): void {
    if (frame.type === 'error') this.settings.metrics.errorFrames++;
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
    return this.buffered > this.settings.pauseBytes;
  }

  /** Resolves when the socket drained below the pause mark, or closed. */
  drained(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    this.#drainWaiters ??= [];
    const waiters = this.#drainWaiters;
    return new Promise((resolve) => waiters.push(resolve));
  }

  onDrain(): void {
    if (this.congested) return;
    this.leftBehind = false;
    this.#wakeDrainWaiters();
    for (const subscription of this.subscriptions) subscription.resume();
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
    for (const subscription of this.subscriptions) if (!subscription.live) count++;
    return count;
  }

  markClosed(): void {
    this.closed = true;
    clearTimeout(this.expiryTimer);
    this.#wakeDrainWaiters();
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    if (!waiters) return;
    this.#drainWaiters = undefined;
    for (const resolve of waiters) resolve();
  }
}
