import type { ServerResponse } from 'node:http';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { sleep } from '@codeframe/runtime';
import { sseFrame } from './message-events.js';

export interface EventStreamOptions {
  /** Pause between events (slow tokens); 0 sends them back to back. */
  delayMs: number;
  /**
   * Send this many events, then destroy the connection mid-message. Capped below the number
   * of events, so the cut always comes before message_stop.
   */
  cutAfter: number | undefined;
  /** Stops the stream when the client goes away; the pending sleep rejects with its reason. */
  signal: AbortSignal;
}

/** Answers with `text/event-stream`, one SSE frame per event, as the real API does. */
export async function writeEventStream(
  res: ServerResponse,
  requestId: string,
  events: readonly RawMessageStreamEvent[],
  options: EventStreamOptions,
): Promise<void> {
  const { delayMs, cutAfter, signal } = options;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'request-id': requestId,
  });
  res.flushHeaders();
  const count = cutAfter === undefined ? events.length : Math.min(cutAfter, events.length - 1);
  for (let i = 0; i < count; i++) {
    if (i > 0 && delayMs > 0) await sleep(delayMs, signal);
    if (signal.aborted) return;
    await write(res, sseFrame(events[i]!));
  }
  if (cutAfter === undefined) {
    res.end();
    return;
  }
  // Let what was sent (the headers at least) reach the client first, so it sees a stream
  // that breaks off rather than a connection refused.
  await flushed(res);
  res.destroy();
}

/** Resolves once everything written so far has left the socket's buffer. */
function flushed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const { socket } = res;
    if (!socket || socket.destroyed) resolve();
    else socket.write('', () => resolve());
  });
}

/** Resolves once the chunk is handed to the socket (or the socket is gone). */
function write(res: ServerResponse, chunk: string): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) {
      resolve();
      return;
    }
    res.write(chunk, () => resolve());
  });
}
