import type { Event } from '@codeframe/proto';
import { type BackoffOptions, backoffDelay, sleep } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';
import type { LeadClient } from './lead-client.js';
import { isRetryable, RESUME_BACKOFF } from './resume-policy.js';

export interface FollowEventsOptions {
  /** Ends the events, without an error, when it aborts. */
  signal: AbortSignal;
  /** Told of each failure a reconnect follows: why, the retry's number since the last
   * event (1 for the first), and how long it waits before reconnecting. */
  onRetry?: (error: ConnectError, attempt: number, delayMs: number) => void;
  /** Told each time a stream is opened: at the start and after each retry. */
  onOpen?: () => void;
  /** Throws the failure once no event has come for this long since the stream broke; by
   * default it never gives up. */
  giveUpAfterMs?: number;
  /** The waits between reconnects; RESUME_BACKOFF unless a test needs them shorter. */
  backoff?: BackoffOptions;
}

/**
 * A project's events after `afterSeq`, in seq order, each once and none missing. A stream
 * that breaks for a reason another try may mend (see isRetryable), ends, or skips a seq is
 * opened again after a backoff from the last seq yielded; a final refusal (NOT_FOUND,
 * UNAUTHENTICATED, ...) is thrown. Stop early by breaking out of the loop over it.
 */
export async function* followEvents(
  lead: EventSource,
  projectId: string,
  afterSeq: bigint,
  options: FollowEventsOptions,
): AsyncGenerator<Event, void, undefined> {
  for await (const batch of followEventBatches(lead, projectId, afterSeq, options)) {
    yield* batch;
  }
}

/** What followEvents reads: WatchEventBatches, or WatchEvents from a lead without it. */
export type EventSource = Pick<LeadClient, 'watchEvents' | 'watchEventBatches'>;

/**
 * followEvents, the events as the lead grouped them (WatchEventBatches): each batch in seq
 * order and following the one before, for much less per event than one message each. A lead
 * that does not serve WatchEventBatches (UNIMPLEMENTED: an older version) is followed with
 * WatchEvents, each event a batch of its own.
 */
export async function* followEventBatches(
  lead: EventSource,
  projectId: string,
  afterSeq: bigint,
  options: FollowEventsOptions,
): AsyncGenerator<Event[], void, undefined> {
  const { onRetry, onOpen, giveUpAfterMs = Number.POSITIVE_INFINITY } = options;
  // Cancels the stream when the consumer stops early: leaving a for-await over a Connect
  // stream does not end the call on the server.
  const done = new AbortController();
  const signal = AbortSignal.any([options.signal, done.signal]);
  let last = afterSeq;
  let brokenSince: number | undefined;
  let batched = true;
  try {
    for (let attempt = 1; !signal.aborted; attempt++) {
      let failure: ConnectError;
      try {
        onOpen?.();
        const request = { projectId, afterSeq: last };
        const stream = batched
          ? lead.watchEventBatches(request, { signal })
          : singles(lead.watchEvents(request, { signal }));
        for await (const { events } of stream) {
          brokenSince = undefined;
          attempt = 1;
          const fresh: Event[] = [];
          let gap: ConnectError | undefined;
          for (const event of events) {
            if (event.seq <= last) continue;
            if (event.seq !== last + 1n) {
              gap = new ConnectError(
                `the lead sent event ${event.seq} of project "${projectId}" after ${last}`,
                Code.DataLoss,
              );
              break;
            }
            fresh.push(event);
            last = event.seq;
          }
          if (signal.aborted) return;
          // What came before a gap is yielded; the stream is then opened again from it.
          if (fresh.length > 0) yield fresh;
          if (gap) throw gap;
        }
        failure = new ConnectError(
          `the lead ended the event stream of project "${projectId}" at seq ${last}`,
          Code.Unavailable,
        );
      } catch (error) {
        if (signal.aborted) return;
        failure = ConnectError.from(error);
        if (batched && failure.code === Code.Unimplemented) {
          // An older lead: asked again at once, the way it can answer.
          batched = false;
          attempt--;
          continue;
        }
        if (!isRetryable(failure)) throw failure;
      }
      brokenSince ??= Date.now();
      if (Date.now() - brokenSince > giveUpAfterMs) throw failure;
      const delay = backoffDelay(attempt, options.backoff ?? RESUME_BACKOFF);
      onRetry?.(failure, attempt, delay);
      await sleep(delay, signal).catch(() => {});
    }
  } finally {
    done.abort();
  }
}

async function* singles(events: AsyncIterable<Event>): AsyncGenerator<{ events: Event[] }> {
  for await (const event of events) yield { events: [event] };
}
