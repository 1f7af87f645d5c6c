import type { Event } from '@codeframe/proto';
import { backoffDelay, sleep } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';
import type { LeadClient } from './lead-client.js';

/** Codes after which the stream is opened again from the last seq received. */
const RESUMABLE = new Set([
  Code.Unavailable,
  Code.ResourceExhausted,
  Code.Internal,
  Code.Unknown,
  Code.Aborted,
]);

export interface FollowOptions {
  signal: AbortSignal;
  /** Gives up after the lead has been unreachable this long. */
  giveUpAfterMs?: number;
  /** Told each time the stream broke and is being opened again. */
  onInterrupted?: (reason: string) => void;
}

/**
 * A project's events after `afterSeq`, in order, without gaps or repeats: when the stream
 * breaks (the lead restarting, a watcher cut off for falling behind) it is opened again
 * from the last seq received.
 */
export async function* followProject(
  lead: LeadClient,
  projectId: string,
  afterSeq: bigint,
  options: FollowOptions,
): AsyncGenerator<Event> {
  let last = afterSeq;
  let brokenSince: number | undefined;
  // Cancels the stream when the consumer stops early: leaving a for-await over a Connect
  // stream does not end the call on the server.
  const done = new AbortController();
  const signal = AbortSignal.any([options.signal, done.signal]);
  try {
    yield* follow();
  } finally {
    done.abort();
  }

  async function* follow(): AsyncGenerator<Event> {
    for (let attempt = 1; ; attempt++) {
      try {
        for await (const event of lead.watchEvents({ projectId, afterSeq: last }, { signal })) {
          brokenSince = undefined;
          attempt = 1;
          if (event.seq <= last) continue;
          last = event.seq;
          yield event;
        }
        return;
      } catch (error) {
        if (signal.aborted) return;
        const e = ConnectError.from(error);
        if (!RESUMABLE.has(e.code)) throw e;
        brokenSince ??= Date.now();
        if (Date.now() - brokenSince > (options.giveUpAfterMs ?? 120_000)) throw e;
        options.onInterrupted?.(e.rawMessage);
        await sleep(backoffDelay(attempt, { baseMs: 200, maxMs: 5_000 }), signal).catch(() => {});
      }
    }
  }
}
