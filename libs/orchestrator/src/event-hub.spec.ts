import { create } from '@bufbuild/protobuf';
import { ActivityUpdateSchema, type Event } from '@codeframe/proto';
import { type EventPayload, openSqliteStore } from '@codeframe/store';
import { describe, expect, it } from 'vitest';
import { CommitWindow } from './commit-window.js';
import { EventHub, type EventHubOptions } from './event-hub.js';
import { OrchestratorError } from './orchestrator-error.js';

const activity = (message: string): EventPayload => ({
  case: 'activityUpdate',
  value: create(ActivityUpdateSchema, { taskId: 't', message }),
});

async function setup(options?: EventHubOptions) {
  const store = await openSqliteStore(':memory:');
  const project = await store.createProject({
    name: 'p',
    prd: 'A PRD.',
    repoUrl: '',
    budgetUsd: 0,
    maxConcurrency: 0,
  });
  return { store, hub: new EventHub(store, options), id: project.id };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Whether the promise settled within a turn of the event loop. */
async function settled(promise: Promise<unknown> | undefined): Promise<boolean> {
  let done = false;
  void promise?.then(() => {
    done = true;
  });
  await tick();
  return done;
}

async function appendMany(hub: EventHub, id: string, n: number): Promise<Event[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => hub.append(id, activity(`m${i}`))));
}

/** The first n events of a watch; stopping early must end the watch. */
async function take(events: AsyncGenerator<Event>, n: number): Promise<Event[]> {
  const got: Event[] = [];
  for await (const event of events) {
    got.push(event);
    if (got.length === n) break;
  }
  return got;
}

/** A watch from 0 that has received the project's first event and is live. */
async function liveWatch(hub: EventHub, id: string): Promise<AsyncGenerator<Event>> {
  const watch = hub.watch(id, 0n, new AbortController().signal);
  const first = watch.next();
  await hub.append(id, activity('first'));
  expect((await first).value?.seq).toBe(1n);
  return watch;
}

const seqs = (events: Event[]) => events.map((e) => Number(e.seq));
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('EventHub', () => {
  it('replays exactly the persisted log from 0', async () => {
    const { store, hub, id } = await setup();
    await appendMany(hub, id, 5);
    const got = await take(hub.watch(id, 0n, new AbortController().signal), 5);
    expect(got).toEqual(await store.readEvents(id, 0n, 100));
    expect(seqs(got)).toEqual([1, 2, 3, 4, 5]);
    expect(hub.watchers(id)).toBe(0);
  });

  it('skips events up to after_seq', async () => {
    const { hub, id } = await setup();
    await appendMany(hub, id, 5);
    expect(seqs(await take(hub.watch(id, 3n, new AbortController().signal), 2))).toEqual([4, 5]);
  });

  it('delivers live events after the replay', async () => {
    const { hub, id } = await setup();
    await appendMany(hub, id, 3);
    const watch = hub.watch(id, 0n, new AbortController().signal);
    expect(seqs(await take(watch, 3))).toEqual([1, 2, 3]);
    const rest = hub.watch(id, 3n, new AbortController().signal);
    const next = rest.next();
    await appendMany(hub, id, 2);
    expect((await next).value?.seq).toBe(4n);
    expect(seqs(await take(rest, 1))).toEqual([5]);
  });

  it('switches from replay to live with no gap, duplicate or reordering under load', async () => {
    const { store, hub, id } = await setup();
    await appendMany(hub, id, 100);
    const total = 1100;
    let appended = 0;
    const writer = (async () => {
      const unawaited: Promise<Event>[] = [];
      for (let i = 0; i < 1000; i++) {
        const appending = hub.append(id, activity(`load ${i}`));
        appending.then(() => appended++);
        if (i % 7 === 0) await appending;
        else unawaited.push(appending);
      }
      await Promise.all(unawaited);
    })();
    // Start once the writer is well under way, from a seq in the middle of the log.
    while (appended < 200) await new Promise((resolve) => setImmediate(resolve));
    const got = await take(hub.watch(id, 50n, new AbortController().signal), total - 50);
    await writer;
    expect(seqs(got)).toEqual(range(51, total));
    expect(await store.lastSeq(id)).toBe(BigInt(total));
    expect(hub.watchers(id)).toBe(0);
  });

  it('gives two watchers every event', async () => {
    const { hub, id } = await setup();
    await appendMany(hub, id, 10);
    const a = take(hub.watch(id, 0n, new AbortController().signal), 60);
    const b = take(hub.watch(id, 0n, new AbortController().signal), 60);
    await appendMany(hub, id, 50);
    expect(seqs(await a)).toEqual(range(1, 60));
    expect(seqs(await b)).toEqual(range(1, 60));
  });

  it('cuts off a watcher that falls behind with RESOURCE_EXHAUSTED; it resumes from its last seq', async () => {
    const { hub, id } = await setup({ maxBacklog: 50 });
    const slow = await liveWatch(hub, id);
    await appendMany(hub, id, 100);
    expect(hub.watchers(id)).toBe(0);
    const err = await slow.next().then(
      () => undefined,
      (e: unknown) => e as OrchestratorError,
    );
    expect(err).toBeInstanceOf(OrchestratorError);
    expect(err?.code).toBe('overflow');
    expect(err?.message).toMatch(/fell 100 events behind .*after_seq 1\b/);
    const rest = await take(hub.watch(id, 1n, new AbortController().signal), 100);
    expect(seqs(rest)).toEqual(range(2, 101));
  });

  it('holds producers back while a live watcher lags, until it is back under half the pace mark', async () => {
    const { hub, id } = await setup({ maxBacklog: 100, paceMark: 10, paceWaitMs: 60_000 });
    const watch = await liveWatch(hub, id);
    await appendMany(hub, id, 9);
    expect(hub.paced(id)).toBeUndefined();
    await appendMany(hub, id, 1);
    const paced = hub.paced(id);
    expect(await settled(paced)).toBe(false);
    // 10 waiting: after 4 the watcher still holds 6, after the 5th it holds 5.
    for (const seq of [2n, 3n, 4n, 5n]) expect((await watch.next()).value?.seq).toBe(seq);
    expect(await settled(paced)).toBe(false);
    expect((await watch.next()).value?.seq).toBe(6n);
    expect(await settled(paced)).toBe(true);
    expect(hub.paced(id)).toBeUndefined();
  });

  it('leaves behind a watcher that takes too little to wait for; it is cut off as before', async () => {
    const { hub, id } = await setup({ maxBacklog: 50, paceMark: 10, paceWaitMs: 30 });
    const stuck = await liveWatch(hub, id);
    await appendMany(hub, id, 10);
    const paced = hub.paced(id);
    expect(paced).toBeDefined();
    await paced;
    // Left behind: the producers no longer wait for it, and it overflows.
    await appendMany(hub, id, 10);
    expect(hub.paced(id)).toBeUndefined();
    await appendMany(hub, id, 40);
    const err = await stuck.next().then(
      () => undefined,
      (e: unknown) => e as OrchestratorError,
    );
    expect(err).toBeInstanceOf(OrchestratorError);
    expect(err?.code).toBe('overflow');
  });

  it('paces a burst to a slow watcher, which gets every event without being cut off', async () => {
    const { hub, id } = await setup({ maxBacklog: 1_000, paceWaitMs: 60_000 });
    const total = 2_000;
    const watch = hub.watch(id, 0n, new AbortController().signal);
    const received = (async () => {
      const got: Event[] = [];
      for await (const event of watch) {
        got.push(event);
        // Slower than the producer: a turn of the event loop per event.
        await tick();
        if (got.length === total) break;
      }
      return got;
    })();
    // A worker's stream as the lead reads it: appends in flight, waiting when told.
    const window = new CommitWindow(256, () => hub.paced(id));
    for (let i = 0; i < total; i++) await window.add(hub.append(id, activity(`burst ${i}`)));
    await window.settle();
    expect(seqs(await received)).toEqual(range(1, total));
  });

  it('does not cut off a watcher that is still replaying', async () => {
    const { hub, id } = await setup({ maxBacklog: 50 });
    await appendMany(hub, id, 20);
    const watch = hub.watch(id, 0n, new AbortController().signal);
    expect((await watch.next()).value?.seq).toBe(1n);
    await appendMany(hub, id, 200);
    expect(seqs(await take(watch, 219))).toEqual(range(2, 220));
  });

  it('reads events written past the hub from the store', async () => {
    const { store, hub, id } = await setup();
    await hub.append(id, activity('a'));
    const watch = hub.watch(id, 0n, new AbortController().signal);
    expect((await watch.next()).value?.seq).toBe(1n);
    await store.appendEvent(id, activity('b'));
    await store.appendEvent(id, activity('c'));
    await hub.append(id, activity('d'));
    expect(seqs(await take(watch, 3))).toEqual([2, 3, 4]);
  });

  it('reads what another lead committed when told, live or while it reads the store', async () => {
    const { store, hub, id } = await setup();
    await store.appendEvent(id, activity('a'));
    const watch = hub.watch(id, 0n, new AbortController().signal);
    expect((await watch.next()).value?.seq).toBe(1n);
    // Nothing is appended through this hub: only the notice brings the watcher to the store.
    const next = watch.next();
    await store.appendEvent(id, activity('b'));
    expect(await settled(next)).toBe(false);
    hub.committedElsewhere(id, 2n);
    expect((await next).value?.seq).toBe(2n);
    await store.appendEvent(id, activity('c'));
    hub.committedElsewhere(); // a notice may have been missed: every project is read again
    expect((await watch.next()).value?.seq).toBe(3n);
    // Told while it reads: it reads again instead of waiting.
    await store.appendEvent(id, activity('d'));
    const reading = watch.next();
    hub.committedElsewhere(id, 4n);
    await store.appendEvent(id, activity('e'));
    hub.committedElsewhere(id, 5n);
    expect((await reading).value?.seq).toBe(4n);
    expect((await watch.next()).value?.seq).toBe(5n);
    await watch.return(undefined);
  });

  it('ends the watch when the signal aborts', async () => {
    const { hub, id } = await setup();
    await appendMany(hub, id, 2);
    const abort = new AbortController();
    const watch = hub.watch(id, 0n, abort.signal);
    expect((await watch.next()).value?.seq).toBe(1n);
    expect((await watch.next()).value?.seq).toBe(2n);
    const waiting = watch.next();
    expect(hub.watchers(id)).toBe(1);
    abort.abort();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(hub.watchers(id)).toBe(0);
  });

  it('answers NOT_FOUND for an unknown project', async () => {
    const { hub } = await setup();
    const watch = hub.watch('nope', 0n, new AbortController().signal);
    const err = await watch.next().then(
      () => undefined,
      (e: unknown) => e as OrchestratorError,
    );
    expect(err).toBeInstanceOf(OrchestratorError);
    expect(err?.code).toBe('not_found');
    expect(err?.message).toMatch(/project "nope" does not exist/);
    expect(hub.watchers('nope')).toBe(0);
  });

  it('refuses to append to an unknown project', async () => {
    const { hub } = await setup();
    await expect(hub.append('nope', activity('x'))).rejects.toThrow(/project "nope"/);
    expect(hub.watchers('nope')).toBe(0);
  });
});

describe('EventHub.watchBatches', () => {
  /** Batches of a watch until `n` events have come. */
  async function batches(events: AsyncGenerator<Event[]>, n: number): Promise<number[][]> {
    const got: number[][] = [];
    for await (const batch of events) {
      got.push(seqs(batch));
      if (got.flat().length >= n) break;
    }
    return got;
  }

  it('replays the log in batches of at most max', async () => {
    const { hub, id } = await setup();
    await appendMany(hub, id, 10);
    const watch = hub.watchBatches(id, 1n, new AbortController().signal, 4);
    expect(await batches(watch, 9)).toEqual([range(2, 5), range(6, 9), [10]]);
    expect(hub.watchers(id)).toBe(0);
  });

  it('gives a live watcher every event that is ready at once, up to max', async () => {
    const { hub, id } = await setup();
    await hub.append(id, activity('first'));
    const watch = hub.watchBatches(id, 0n, new AbortController().signal, 5);
    expect(seqs((await watch.next()).value!)).toEqual([1]);
    // Committed in one transaction and delivered together: the watcher waiting for them
    // gets five, then the rest.
    const next = watch.next();
    await appendMany(hub, id, 7);
    expect(seqs((await next).value!)).toEqual(range(2, 6));
    expect(await batches(watch, 2)).toEqual([[7, 8]]);
  });

  it('reads events written past the hub from the store, with no gap or duplicate', async () => {
    const { store, hub, id } = await setup();
    await hub.append(id, activity('a'));
    const watch = hub.watchBatches(id, 0n, new AbortController().signal, 10);
    expect(seqs((await watch.next()).value!)).toEqual([1]);
    await store.appendEvent(id, activity('b'));
    await store.appendEvent(id, activity('c'));
    await appendMany(hub, id, 3);
    expect((await batches(watch, 5)).flat()).toEqual(range(2, 6));
  });

  it('switches from replay to live with no gap, duplicate or reordering under load', async () => {
    const { hub, id } = await setup();
    await appendMany(hub, id, 100);
    const writer = (async () => {
      for (let i = 0; i < 20; i++) await appendMany(hub, id, 50);
    })();
    const got = await batches(hub.watchBatches(id, 30n, new AbortController().signal, 64), 1070);
    await writer;
    expect(got.flat()).toEqual(range(31, 1100));
    expect(Math.max(...got.map((b) => b.length))).toBeLessThanOrEqual(64);
    // Batches formed where events were ready, not one per event.
    expect(got.length).toBeLessThan(1070 / 4);
  });
});
