import { type Recovery, serialiseEvent } from '@codeframe/events';
import { followEvents, type LeadClient } from '@codeframe/rpc';
import type { Logger } from '@codeframe/runtime';
import { ConnectError } from '@connectrpc/connect';
import type { EdgeMetrics } from './edge-metrics.js';
import { FeedError, type ProjectFeed } from './project-feed.js';
import type { SocketSession } from './socket-session.js';

export interface SubscriptionContext {
  lead: LeadClient;
  logger: Logger;
  metrics: EdgeMetrics;
  epoch: string;
  /** How long a subscriber whose last seq is ahead of the edge waits for the feed to reach it. */
  aheadWaitMs: number;
  /** Watches async work started for the socket, so a failure is reported, not a crash. */
  track(session: SocketSession, work: Promise<void>): void;
  /** Called when a subscription failed, after it was closed: to release its feed. */
  onFailed(subscription: Subscription, unknownProject: boolean): void;
}

/**
 * One socket's subscription to one project. It first sends what the socket missed (after
 * `lastSeq`): from the feed's ring when it holds those events, else from a replay stream of
 * its own from the lead, switching to the ring as soon as the ring holds the rest. Once
 * caught up to the ring's head it joins the project's topic, in the same tick, so live
 * events follow with no gap and no duplicate.
 */
export class Subscription {
  /** The last seq sent to the socket. */
  #sentSeq: number;
  #live = false;
  #closed = false;
  #replay: AbortController | undefined;
  #stopListening: (() => void) | undefined;

  constructor(
    readonly session: SocketSession,
    readonly feed: ProjectFeed,
    lastSeq: number,
    private readonly context: SubscriptionContext,
  ) {
    this.#sentSeq = lastSeq;
  }

  get projectId(): string {
    return this.feed.projectId;
  }

  get live(): boolean {
    return this.#live;
  }

  async start(): Promise<void> {
    try {
      await this.feed.opened;
    } catch (error) {
      const unknown = error instanceof FeedError && error.unknownProject;
      this.#fail(error instanceof FeedError ? error.message : String(error), unknown);
      return;
    }
    if (this.#closed) return;
    const { ring } = this.feed;
    if (this.#sentSeq > ring.head && !(await this.#waitForFeed())) return;
    const recovered: Recovery =
      this.#sentSeq === ring.head ? 'none' : ring.covers(this.#sentSeq) ? 'buffer' : 'lead';
    this.context.metrics.recoveries[recovered]++;
    this.session.sendFrame({
      type: 'subscribed',
      project_id: this.projectId,
      epoch: this.context.epoch,
      seq: ring.head,
      recovered,
    });
    if (recovered === 'lead') this.context.track(this.session, this.#replayFromLead());
    else this.resume();
    // Still catching up (the socket is congested, or the replay runs): new events resume it.
    if (!this.#live && !this.#closed) this.#stopListening = this.feed.onEvent(() => this.resume());
  }

  /** Sends more of the catch-up from the ring; called on new events and when the socket drains. */
  resume(): void {
    if (this.#live || this.#closed || this.#replay) return;
    const { ring } = this.feed;
    this.session.cork(() => {
      while (this.#sentSeq < ring.head) {
        if (this.session.congested) return;
        if (!ring.covers(this.#sentSeq)) {
          this.context.track(this.session, this.#replayFromLead());
          return;
        }
        this.#sentSeq++;
        this.session.send(ring.at(this.#sentSeq));
      }
      if (this.#sentSeq === ring.head) this.#goLive();
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#replay?.abort();
    this.#stopListening?.();
    if (this.#live) this.session.ws?.unsubscribe(this.feed.topic);
  }

  #goLive(): void {
    this.#stopListening?.();
    this.#stopListening = undefined;
    this.session.ws?.subscribe(this.feed.topic);
    this.#live = true;
  }

  /** A subscriber ahead of the feed (it saw events from another edge) waits for it briefly. */
  async #waitForFeed(): Promise<boolean> {
    const target = this.#sentSeq;
    const reached = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve(false);
      }, this.context.aheadWaitMs);
      const stop = this.feed.onEvent(() => {
        if (this.feed.ring.head < target) return;
        clearTimeout(timer);
        stop();
        resolve(true);
      });
    });
    if (!reached && !this.#closed) {
      this.#fail(
        `last_seq ${target} is ahead of the project's event log (at ${this.feed.ring.head}): resubscribe with the last seq you received`,
      );
    }
    return reached && !this.#closed;
  }

  async #replayFromLead(): Promise<void> {
    if (this.#replay || this.#closed) return;
    const abort = new AbortController();
    this.#replay = abort;
    const { lead, logger } = this.context;
    const events = followEvents(lead, this.projectId, BigInt(this.#sentSeq), {
      signal: abort.signal,
      onRetry: (error) =>
        logger.warn(
          { project: this.projectId, seq: this.#sentSeq, err: error.rawMessage },
          'replay from the lead broke; resuming',
        ),
    });
    try {
      for await (const event of events) {
        if (this.#ringHasTheRest()) break;
        this.#sentSeq = Number(event.seq);
        this.session.send(serialiseEvent(event));
        if (this.#ringHasTheRest()) break;
        if (this.session.congested) await this.session.drained();
        if (this.#closed) return;
      }
    } catch (error) {
      const e = ConnectError.from(error);
      this.end(`the lead refused to replay project ${this.projectId}: ${e.rawMessage}`);
      return;
    } finally {
      abort.abort();
      if (this.#replay === abort) this.#replay = undefined;
    }
    this.resume();
  }

  /** The ring holds every event after what was sent, or the feed will bring them. */
  #ringHasTheRest(): boolean {
    return this.#sentSeq >= this.feed.ring.startAfter;
  }

  /**
   * Ends a subscription the lead stopped serving after it was subscribed: the socket is told
   * why and that it is unsubscribed, so it may subscribe again.
   */
  end(error: string): void {
    if (this.#closed) return;
    this.#fail(error);
    this.session.sendFrame({ type: 'unsubscribed', project_id: this.projectId });
  }

  #fail(error: string, unknownProject = false): void {
    // A subscription already ended (unsubscribed, socket closed) has been released.
    if (this.#closed) return;
    this.session.sendFrame({ type: 'error', error, project_id: this.projectId });
    if (this.session.subscriptions.get(this.projectId) === this) {
      this.session.subscriptions.delete(this.projectId);
    }
    this.close();
    this.context.onFailed(this, unknownProject);
  }
}
