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
  lead: Pick<LeadClient, 'watchEvents'>,
  projectId: string,
  afterSeq: bigint,
  options: FollowEventsOptions,
): AsyncGenerator<Event, void, undefined> {
  const { onRetry, onOpen, giveUpAfterMs = Number.POSITIVE_INFINITY } = options;
  // Cancels the stream when the consumer stops early: leaving a for-await over a Connect
  // stream does not end the call on the server.
  const done = new AbortController();
  const signal = AbortSignal.any([options.signal, done.signal]);
  let last = afterSeq;
  let brokenSince: number | undefined;
  try {
    for (let attempt = 1; !signal.aborted; attempt++) {
      let failure: ConnectError;
      try {
        onOpen?.();
        for await (const event of lead.watchEvents({ projectId, afterSeq: last }, { signal })) {
          brokenSince = undefined;
          attempt = 1;
          if (event.seq <= last) continue;
          if (event.seq !== last + 1n) {
            throw new ConnectError(
              `the lead sent event ${event.seq} of project "${projectId}" after ${last}`,
              Code.DataLoss,
            );
          }
          if (signal.aborted) return;
          last = event.seq;
          yield event;
        }
        failure = new ConnectError(
          `the lead ended the event stream of project "${projectId}" at seq ${last}`,
          Code.Unavailable,
        );
      } catch (error) {
        if (signal.aborted) return;
        failure = ConnectError.from(error);
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
