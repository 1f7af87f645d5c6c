import { timestampMs } from '@bufbuild/protobuf/wkt';
import { EventRing, serialiseEvent } from '@codeframe/events';
import type { Event } from '@codeframe/proto';
import { followEventBatches, isRetryable, type LeadClient, RESUME_BACKOFF } from '@codeframe/rpc';
import { backoffDelay, type Logger, sleep } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';
import type { EdgeMetrics } from './edge-metrics.js';

export interface FeedOptions {
  lead: LeadClient;
  logger: Logger;
  metrics: EdgeMetrics;
  ringCapacity: number;
  /** Sends a frame to every socket subscribed to `topic` (uWS publish). */
  publish(topic: string, frame: string): void;
  /**
   * After each event published, with the bytes of its frame: a promise while the sockets it
   * went to should drain before the next is published (FanOut's pacing), else undefined. Not
   * reading on holds the lead's stream back (gRPC flow control).
   */
  paced?(feed: ProjectFeed, bytes: number): Promise<void> | undefined;
}

/** Why a project cannot be watched, in words for the browser. */
export class FeedError extends Error {
  override name = 'FeedError';
  constructor(
    message: string,
    /** The lead does not know the project (a client guessing ids costs it a call each). */
    readonly unknownProject = false,
  ) {
    super(message);
  }
}

/** What a feed tells the sockets waiting on it. */
export interface FeedListener {
  /** Once, when the lead is unreachable while the feed opens. */
  onUnreachable(error: string): void;
  /** When the lead refused the feed's stream after it opened: the feed is closed. */
  onStopped(error: FeedError): void;
}

/**
 * One project's upstream: a single stream of the project's events from the lead, whose
 * events are serialised once, kept in a ring for resuming subscribers, and published to the
 * project's topic. The stream resumes (followEventBatches) from the ring's head when it
 * breaks, so the ring never has a gap; it is read only as fast as the sockets take it (paced).
 */
export class ProjectFeed {
  readonly topic: string;
  /** Valid once `opened` resolves. */
  ring = new EventRing(1);
  connected = false;
  lagSeconds = 0;
  /** Subscriptions using this feed; the registry closes it some time after this drops to 0. */
  users = 0;
  /** Bytes published since the pacing last looked at the sockets. */
  unpaced = 0;
  closeTimer: NodeJS.Timeout | undefined;
  /** Resolves when the ring is positioned at the lead's head; rejects with a FeedError. */
  readonly opened: Promise<void>;
  readonly #abort = new AbortController();
  readonly #listeners = new Set<() => void>();

  constructor(
    readonly projectId: string,
    private readonly options: FeedOptions,
    private readonly listener: FeedListener,
  ) {
    this.topic = `project/${projectId}`;
    this.opened = this.#open();
    // #follow handles the lead's failures; the catch is for a bug, which must not end the edge.
    this.opened
      .then(
        () => this.#follow(),
        () => {},
      )
      .catch((err) =>
        options.logger.error({ project: projectId, err }, 'the feed stopped following the lead'),
      );
  }

  get closed(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Calls `listener` after each new event is in the ring and published. */
  onEvent(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  close(): void {
    this.#abort.abort(new Error('feed closed'));
    this.#listeners.clear();
  }

  async #open(): Promise<void> {
    const signal = this.#abort.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        const { project } = await this.options.lead.getProject(
          { projectId: this.projectId },
          { signal },
        );
        const head = Number(project?.lastSeq ?? 0n);
        this.ring = new EventRing(this.options.ringCapacity, head);
        this.options.logger.debug({ project: this.projectId, seq: head }, 'feed opened');
        return;
      } catch (error) {
        if (signal.aborted) throw new FeedError('the edge stopped watching this project');
        const e = ConnectError.from(error);
        if (e.code === Code.NotFound)
          throw new FeedError(`unknown project ${this.projectId}`, true);
        if (e.code === Code.InvalidArgument) throw new FeedError(e.rawMessage);
        if (!isRetryable(e)) {
          this.options.logger.error({ project: this.projectId, err: e }, 'lead refused the edge');
          throw new FeedError(`the lead refused the edge (${Code[e.code]}): ${e.rawMessage}`);
        }
        if (attempt === 1) {
          this.options.logger.warn(
            { project: this.projectId, err: e.rawMessage },
            'lead unreachable',
          );
          const unreachable = e.code === Code.Unavailable || e.code === Code.DeadlineExceeded;
          this.listener.onUnreachable(
            unreachable
              ? `the lead is unreachable (${e.rawMessage}); still trying`
              : `the lead failed (${Code[e.code]}: ${e.rawMessage}); still trying`,
          );
        }
        await sleep(backoffDelay(attempt, RESUME_BACKOFF), signal).catch(() => {});
      }
    }
  }

  async #follow(): Promise<void> {
    const { lead, logger, metrics } = this.options;
    const events = followEventBatches(lead, this.projectId, BigInt(this.ring.head), {
      signal: this.#abort.signal,
      onOpen: () => {
        this.connected = true;
      },
      onRetry: (error) => {
        this.connected = false;
        metrics.upstreamReconnects++;
        logger.warn(
          { project: this.projectId, seq: this.ring.head, err: error.rawMessage },
          'event stream from the lead broke; resuming',
        );
      },
    });
    try {
      for await (const batch of events) {
        for (const event of batch) {
          // Looked at within a batch too: one may hold a megabyte.
          const pacing = this.options.paced?.(this, this.#accept(event));
          if (pacing) await pacing;
        }
      }
    } catch (error) {
      // A refusal another try cannot change (a token the lead no longer takes, a project it
      // no longer has): the sockets are told, and a later subscribe opens the project again.
      const e = ConnectError.from(error);
      logger.error({ project: this.projectId, err: e }, 'the feed stopped following the lead');
      this.close();
      this.listener.onStopped(
        new FeedError(
          `the edge stopped following project ${this.projectId}: the lead answered ${Code[e.code]} (${e.rawMessage})`,
        ),
      );
    } finally {
      this.connected = false;
    }
  }

  /**
   * Keeps and publishes the next event (followEventBatches yields each seq once, in order);
   * the length of its frame.
   */
  #accept(event: Event): number {
    const seq = Number(event.seq);
    const frame = serialiseEvent(event);
    this.ring.push(seq, frame);
    this.options.metrics.eventsIn++;
    if (event.time) this.lagSeconds = Math.max(0, (Date.now() - timestampMs(event.time)) / 1000);
    this.options.publish(this.topic, frame);
    for (const listener of [...this.#listeners]) listener();
    return frame.length;
  }
}
