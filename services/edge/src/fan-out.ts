import { grantAllows } from '@codeframe/events';
import type { LeadClient } from '@codeframe/rpc';
import type { Logger } from '@codeframe/runtime';
import type { EdgeMetrics, MetricsSources } from './edge-metrics.js';
import { type FeedOptions, ProjectFeed } from './project-feed.js';
import type { SocketSession } from './socket-session.js';
import { Subscription, type SubscriptionContext } from './subscription.js';

export interface FanOutOptions {
  lead: LeadClient;
  logger: Logger;
  metrics: EdgeMetrics;
  epoch: string;
  ringCapacity: number;
  /** How long a feed with no subscribers stays open, so a quick resubscribe finds its ring. */
  upstreamGraceMs: number;
  aheadWaitMs: number;
  limits: SocketLimits;
  pace: FeedPacing;
  publish(topic: string, frame: string): void;
  /**
   * Closes a socket whose queue passed the backpressure limit (true when it did, or it was
   * already closing): the sweep's check, also made at each of a feed's pacing looks.
   */
  closeIfSlow(session: SocketSession): boolean;
  /** Called when one of a socket's subscriptions was refused for a cap or an unknown project. */
  onRefused(session: SocketSession): void;
  /** Watches a subscription's async start, so its failure is reported, not lost. */
  track(session: SocketSession, start: Promise<void>): void;
}

/** What one socket may hold; each refusal counts toward closing an abusive socket. */
export interface SocketLimits {
  /** CODEFRAME_EDGE_MAX_SUBSCRIPTIONS */
  maxSubscriptions: number;
  /** CODEFRAME_EDGE_MAX_PENDING_SUBSCRIPTIONS: not yet live (being opened or catching up). */
  maxPendingSubscriptions: number;
  /** CODEFRAME_EDGE_MAX_OPENING_PROJECTS: projects being looked up at the lead, edge-wide. */
  maxOpeningProjects: number;
}

/** How a feed waits for the sockets it publishes to (FanOut.#paced). */
export interface FeedPacing {
  /** Bytes a feed publishes between two looks at its sockets. */
  checkBytes: number;
  /** The longest a feed waits for a socket to drain before it leaves it behind. */
  waitMs: number;
}

/** Which sockets watch which projects, and the one upstream feed per watched project. */
export class FanOut {
  readonly #feeds = new Map<string, ProjectFeed>();
  readonly #sessions = new Set<SocketSession>();
  /** Feeds whose project the lead has not yet answered for. */
  #opening = 0;
  readonly #context: SubscriptionContext;
  readonly #feedOptions: FeedOptions;

  constructor(private readonly options: FanOutOptions) {
    this.#feedOptions = { ...options, paced: (feed, bytes) => this.#paced(feed, bytes) };
    this.#context = {
      lead: options.lead,
      logger: options.logger,
      metrics: options.metrics,
      epoch: options.epoch,
      aheadWaitMs: options.aheadWaitMs,
      track: options.track,
      onFailed: (subscription, unknownProject) => {
        this.#release(subscription.feed);
        if (unknownProject) this.options.onRefused(subscription.session);
      },
    };
  }

  /** Every open socket's session. */
  get sessions(): ReadonlySet<SocketSession> {
    return this.#sessions;
  }

  sessionOpened(session: SocketSession): void {
    this.#sessions.add(session);
  }

  subscribe(session: SocketSession, projectId: string, lastSeq: number): void {
    if (!grantAllows(session.grant, projectId)) {
      session.sendFrame({
        type: 'error',
        error: `your token does not grant project ${projectId}`,
        project_id: projectId,
      });
      return;
    }
    const refusal = this.#capRefusal(session, projectId);
    if (refusal) {
      session.sendFrame({ type: 'error', error: refusal, project_id: projectId });
      this.options.onRefused(session);
      return;
    }
    // Resubscribing restarts the catch-up from the seq the client now names.
    this.unsubscribe(session, projectId);
    const feed = this.#acquire(projectId);
    const subscription = new Subscription(session, feed, lastSeq, this.#context);
    session.subscriptions.set(subscription);
    this.options.track(session, subscription.start());
  }

  /** Why the socket may not take this subscription now, or undefined when it may. */
  #capRefusal(session: SocketSession, projectId: string): string | undefined {
    const { maxSubscriptions, maxPendingSubscriptions } = this.options.limits;
    const existing = session.subscriptions.get(projectId);
    if (!existing && session.subscriptions.size >= maxSubscriptions) {
      this.options.metrics.capHits.subscriptions++;
      return `this connection already has ${maxSubscriptions} subscriptions, the most allowed (CODEFRAME_EDGE_MAX_SUBSCRIPTIONS): unsubscribe from one first`;
    }
    const pending = session.pendingSubscriptions - (existing && !existing.live ? 1 : 0);
    if (pending >= maxPendingSubscriptions) {
      this.options.metrics.capHits.pending_subscriptions++;
      return `${pending} subscriptions of this connection are still starting, the most allowed (CODEFRAME_EDGE_MAX_PENDING_SUBSCRIPTIONS): wait for their "subscribed" or "error" frames`;
    }
    // Sockets are cheap to open, so the lookups all of them may cause are bounded too.
    const { maxOpeningProjects } = this.options.limits;
    if (!this.#feeds.has(projectId) && this.#opening >= maxOpeningProjects) {
      this.options.metrics.capHits.opening_projects++;
      return `the edge is already looking up ${this.#opening} projects at the lead, the most allowed (CODEFRAME_EDGE_MAX_OPENING_PROJECTS): subscribe again in a moment`;
    }
    return undefined;
  }

  /** Ends a subscription; false when the socket had none for the project. */
  unsubscribe(session: SocketSession, projectId: string): boolean {
    const subscription = session.subscriptions.get(projectId);
    if (!subscription) return false;
    session.subscriptions.delete(projectId);
    subscription.close();
    this.#release(subscription.feed);
    return true;
  }

  sessionClosed(session: SocketSession): void {
    this.#sessions.delete(session);
    for (const { projectId } of [...session.subscriptions]) this.unsubscribe(session, projectId);
  }

  close(): void {
    for (const feed of this.#feeds.values()) {
      clearTimeout(feed.closeTimer);
      feed.close();
    }
    this.#feeds.clear();
  }

  readonly metricsSources: Omit<MetricsSources, 'connections'> = {
    subscriptions: () => {
      let count = 0;
      for (const session of this.#sessions) count += session.subscriptions.size;
      return count;
    },
    upstreams: () =>
      [...this.#feeds.values()].map((feed) => ({
        projectId: feed.projectId,
        connected: feed.connected,
        lagSeconds: feed.lagSeconds,
        ringEvents: feed.ring.size,
      })),
  };

  #acquire(projectId: string): ProjectFeed {
    let feed = this.#feeds.get(projectId);
    if (!feed) {
      const created: ProjectFeed = new ProjectFeed(projectId, this.#feedOptions, {
        onUnreachable: (error) => {
          for (const waiting of this.#waitingOn(projectId)) {
            waiting.sendFrame({ type: 'error', error, project_id: projectId });
          }
        },
        onStopped: (error) => {
          if (this.#feeds.get(projectId) === created) this.#feeds.delete(projectId);
          for (const session of [...this.#sessions]) {
            const subscription = session.subscriptions.get(projectId);
            if (subscription?.feed === created) subscription.end(error.message);
          }
        },
      });
      // A project that cannot be watched is forgotten, so a later subscribe tries again.
      this.#opening++;
      const opened = () => {
        this.#opening--;
      };
      created.opened.then(opened, opened);
      created.opened.catch(() => {
        if (this.#feeds.get(projectId) === created) this.#feeds.delete(projectId);
      });
      this.#feeds.set(projectId, created);
      feed = created;
    }
    clearTimeout(feed.closeTimer);
    feed.closeTimer = undefined;
    feed.users++;
    return feed;
  }

  #release(feed: ProjectFeed): void {
    if (--feed.users > 0) return;
    feed.closeTimer = setTimeout(() => {
      if (feed.users > 0) return;
      feed.close();
      if (this.#feeds.get(feed.projectId) === feed) this.#feeds.delete(feed.projectId);
      this.options.logger.debug({ project: feed.projectId }, 'feed closed: no subscribers');
    }, this.options.upstreamGraceMs);
    feed.closeTimer.unref();
  }

  /**
   * A feed's pacing: every `checkBytes` it published, the live sockets of its project past the
   * pause mark are waited for, until they drained or `waitMs` passed. One that did not drain
   * in time is left behind (not waited for again until it drains), and is closed at the
   * backpressure limit, so one slow browser holds the others back for `waitMs` at most.
   * A burst the browsers take more slowly than the lead sends it so waits upstream (where the
   * lead paces its workers) rather than in the sockets' buffers until they are closed.
   */
  #paced(feed: ProjectFeed, bytes: number): Promise<void> | undefined {
    feed.unpaced += bytes;
    const { checkBytes, waitMs } = this.options.pace;
    if (feed.unpaced < checkBytes) return undefined;
    feed.unpaced = 0;
    const waiting: SocketSession[] = [];
    for (const session of this.#sessions) {
      const subscription = session.subscriptions.get(feed.projectId);
      if (subscription?.feed !== feed || !subscription.live) continue;
      // Closed here, between two of the feed's publishes, a socket left behind is closed by
      // the edge (4003, counted) before uWS closes it abruptly at its hard limit, which a
      // burst outruns the sweep to.
      if (this.options.closeIfSlow(session)) continue;
      if (session.leftBehind || !session.congested) continue;
      waiting.push(session);
    }
    if (waiting.length === 0) return undefined;
    this.options.metrics.feedPauses++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        for (const session of waiting) if (session.congested) session.leftBehind = true;
        resolve();
      }, waitMs);
      void Promise.all(waiting.map((session) => session.drained())).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Sessions whose subscription to the project is not yet live. */
  *#waitingOn(projectId: string): Iterable<SocketSession> {
    for (const session of this.#sessions) {
      const subscription = session.subscriptions.get(projectId);
      if (subscription && !subscription.live) yield session;
    }
  }
}
