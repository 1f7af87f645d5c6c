import type { Event } from '@codeframe/proto';
import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import {
  createLeadClient,
  type FollowEventsOptions,
  followEventBatches,
  followEvents,
} from './index.js';
import {
  PROJECT,
  type ScriptedLead,
  startScriptedLead as startLead,
} from './lead-server.fixture.js';

const FAST = { baseMs: 10, maxMs: 40 };

/** The seqs followEvents yields until `count` have come, with the retries it reported. */
async function follow(
  lead: ScriptedLead,
  count: number,
  options: Partial<FollowEventsOptions> & { afterSeq?: bigint; token?: string } = {},
) {
  const client = createLeadClient({ baseUrl: lead.url, token: options.token });
  const retries: { code: Code; attempt: number; delayMs: number }[] = [];
  const seqs: number[] = [];
  for await (const event of followEvents(client, PROJECT, options.afterSeq ?? 0n, {
    signal: AbortSignal.timeout(10_000),
    backoff: FAST,
    ...options,
    onRetry: (error, attempt, delayMs) => retries.push({ code: error.code, attempt, delayMs }),
  })) {
    seqs.push(Number(event.seq));
    if (seqs.length === count) break;
  }
  return { seqs, retries };
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Every behaviour holds against a lead that groups its events (WatchEventBatches) and one
// of before it, which only has WatchEvents (followed after its UNIMPLEMENTED).
const LEADS = [
  { name: 'a lead sending batches of 3', batch: 3 },
  { name: 'a lead sending batches of 1', batch: 1 },
  { name: 'a lead with WatchEvents only', batch: undefined },
];

describe.each(LEADS)('followEvents from $name', ({ batch }) => {
  const startScriptedLead = (options: Parameters<typeof startLead>[0] = {}) =>
    startLead({ batch, ...options });

  it('resumes from the last seq it yielded when the stream drops mid-way', async () => {
    const lead = await startScriptedLead();
    lead.emit(10);
    lead.script(
      { count: 3, after: new ConnectError('connection reset', Code.Unavailable) },
      { count: 2, after: new ConnectError('fell behind', Code.ResourceExhausted) },
      { count: 1, after: new ConnectError('stream reset', Code.Internal) },
      { count: 1, after: 'end' },
    );
    const { seqs, retries } = await follow(lead, 10);
    expect(seqs).toEqual(range(1, 10));
    expect(lead.requests).toEqual([0n, 3n, 5n, 6n, 7n]);
    expect(retries.map((r) => r.code)).toEqual([
      Code.Unavailable,
      Code.ResourceExhausted,
      Code.Internal,
      Code.Unavailable,
    ]);
  });

  it('yields no seq twice and skips none when the lead repeats or leaves one out', async () => {
    const lead = await startScriptedLead();
    lead.emit(8);
    // Sends 1..3, then 2..5 again from after_seq 1 (a repeat), then leaves out 7.
    lead.script({ count: 3, after: 'end' }, { rewind: 2, count: 4, after: 'end' }, { skip: 7n });
    const { seqs, retries } = await follow(lead, 8);
    expect(seqs).toEqual(range(1, 8));
    expect(lead.requests).toEqual([0n, 3n, 5n, 6n]);
    expect(retries.at(-1)?.code).toBe(Code.DataLoss);
  });

  it('resumes across a lead that restarts on the same port', async () => {
    const log: Event[] = [];
    const first = await startScriptedLead({ log });
    first.emit(4);
    const client = createLeadClient({ baseUrl: first.url });
    const seqs: number[] = [];
    const codes: Code[] = [];
    let second: ScriptedLead | undefined;
    for await (const event of followEvents(client, PROJECT, 0n, {
      signal: AbortSignal.timeout(10_000),
      backoff: FAST,
      onRetry: (error) => codes.push(error.code),
    })) {
      seqs.push(Number(event.seq));
      if (seqs.length === 4) {
        await first.close();
        second = await startScriptedLead({ port: first.port, log });
        second.emit(3);
      }
      if (seqs.length === 7) break;
    }
    expect(seqs).toEqual(range(1, 7));
    expect(codes.length).toBeGreaterThan(0);
    expect(codes.every((code) => code === Code.Unavailable)).toBe(true);
    expect(second?.requests[0]).toBe(4n);
  });

  it('throws a refusal another try cannot change, without retrying', async () => {
    const lead = await startScriptedLead();
    lead.emit(5);
    lead.script({ count: 2, after: new ConnectError('project "x" not found', Code.NotFound) });
    const retries: Code[] = [];
    const seqs: number[] = [];
    const client = createLeadClient({ baseUrl: lead.url });
    const error = await (async () => {
      for await (const event of followEvents(client, PROJECT, 0n, {
        signal: AbortSignal.timeout(10_000),
        backoff: FAST,
        onRetry: (e) => retries.push(e.code),
      }))
        seqs.push(Number(event.seq));
    })().catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.NotFound);
    expect(seqs).toEqual([1, 2]);
    expect(retries).toEqual([]);
    expect(lead.requests).toHaveLength(1);
  });

  it('throws UNAUTHENTICATED for a token the lead refuses', async () => {
    const lead = await startScriptedLead({ authToken: 'right' });
    lead.emit(1);
    const error = await follow(lead, 1, { token: 'wrong' }).catch((e: unknown) => e);
    expect(ConnectError.from(error).code).toBe(Code.Unauthenticated);
    expect((await follow(lead, 1, { token: 'right' })).seqs).toEqual([1]);
  });

  it('ends without an error when the signal aborts, while waiting and while backing off', async () => {
    const lead = await startScriptedLead();
    lead.emit(2);
    const abort = new AbortController();
    const seqs: number[] = [];
    const client = createLeadClient({ baseUrl: lead.url });
    for await (const event of followEvents(client, PROJECT, 0n, { signal: abort.signal })) {
      seqs.push(Number(event.seq));
      if (seqs.length === 2) setTimeout(() => abort.abort(), 50);
    }
    expect(seqs).toEqual([1, 2]);
    await expect.poll(() => lead.open()).toBe(0);

    // The lead is gone: it waits between tries, and an abort ends the wait at once.
    await lead.close();
    const backingOff = new AbortController();
    const started = Date.now();
    const retried: number[] = [];
    const events = followEvents(client, PROJECT, 2n, {
      signal: backingOff.signal,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
      onRetry: (_, attempt) => {
        retried.push(attempt);
        setTimeout(() => backingOff.abort(), 20);
      },
    });
    expect(await events.next()).toEqual({ done: true, value: undefined });
    expect(retried).toEqual([1]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('cancels the stream on the lead when the consumer stops early', async () => {
    const lead = await startScriptedLead();
    lead.emit(3);
    expect((await follow(lead, 2)).seqs).toEqual([1, 2]);
    await expect.poll(() => lead.open()).toBe(0);
  });

  it('backs off within its bounds, starts again after an event, and can give up', async () => {
    const lead = await startScriptedLead();
    lead.emit(2);
    const drop = () => ({ count: 0, after: new ConnectError('down', Code.Unavailable) });
    lead.script(...Array.from({ length: 8 }, drop), { count: 1, after: 'end' }, drop(), drop());
    const { seqs, retries } = await follow(lead, 2);
    expect(seqs).toEqual([1, 2]);
    expect(retries.map((r) => r.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3]);
    for (const { attempt, delayMs } of retries) {
      const ceiling = Math.min(FAST.maxMs, FAST.baseMs * 2 ** (attempt - 1));
      expect(delayMs).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delayMs).toBeLessThanOrEqual(ceiling);
    }
    expect(Math.max(...retries.map((r) => r.delayMs))).toBeLessThanOrEqual(FAST.maxMs);

    lead.script(...Array.from({ length: 100 }, drop));
    const started = Date.now();
    const error = await follow(lead, 1, { afterSeq: 2n, giveUpAfterMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect(ConnectError.from(error).code).toBe(Code.Unavailable);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('followEventBatches', () => {
  it('yields the events as the lead grouped them, each batch following the last', async () => {
    const lead = await startLead({ batch: 4 });
    lead.emit(10);
    const client = createLeadClient({ baseUrl: lead.url });
    const batches: number[][] = [];
    const opened: number[] = [];
    for await (const events of followEventBatches(client, PROJECT, 1n, {
      signal: AbortSignal.timeout(10_000),
      onOpen: () => opened.push(1),
    })) {
      batches.push(events.map((e) => Number(e.seq)));
      if (batches.flat().length === 9) break;
    }
    expect(batches).toEqual([[2, 3, 4, 5], [6, 7, 8, 9], [10]]);
    expect(opened).toHaveLength(1);
    // It asked WatchEventBatches, never WatchEvents.
    expect(lead.requests).toEqual([1n]);
  });

  it('asks an older lead WatchEvents at once, without a retry or a backoff', async () => {
    const lead = await startLead();
    lead.emit(3);
    const { seqs, retries } = await follow(lead, 3);
    expect(seqs).toEqual([1, 2, 3]);
    expect(retries).toEqual([]);
  });

  it('yields what came before a gap in a batch, then resumes after it', async () => {
    const lead = await startLead({ batch: 5 });
    lead.emit(6);
    lead.script({ skip: 3n, after: 'end' });
    const { seqs, retries } = await follow(lead, 6);
    expect(seqs).toEqual(range(1, 6));
    expect(retries.map((r) => r.code)).toEqual([Code.DataLoss]);
    expect(lead.requests).toEqual([0n, 2n]);
  });
});
