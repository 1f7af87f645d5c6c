// Every project event goes through here: persisted first, then handed to the live watchers.
// WatchEvents clients resume from a seq after a reconnect, so a watch replays the store and
// then switches to live delivery without losing, doubling or reordering an event.
//
// A burst from the workers is paced to what the watchers take: once a live watcher holds
// `paceMark` undelivered events, the project's worker streams wait (see `paced`) until it is
// back under half of that, so a watcher that keeps up more slowly than the workers write is
// not cut off at `maxBacklog` and sent back to the store for what it missed. One that takes
// too little to wait for (not back under half within `paceWaitMs`) is left behind, and
// overflows as before.
import type { Event } from '@codeframe/proto';
import { type EventPayload, type StateChange, type Store, StoreError } from '@codeframe/store';
import { gaugeSource } from './lead-metrics.js';
import { OrchestratorError } from './orchestrator-error.js';

/** Events read from the store per query while a watcher catches up. */
const PAGE_SIZE = 500;

/** One watch in progress: what was delivered to it and not yet yielded. */
class Watcher {
  buffer: Event[] = [];
  /** While it reads the store, live events only bridge the switch to live delivery. */
  replaying = true;
  /** Set when the buffer was dropped during replay; the store must be read again. */
  dropped = false;
  overflowed = false;
  /** Did not catch up within the wait: not waited for again until it does. */
  leftBehind = false;
  /** Another lead committed events of the project: the store has them, this hub does not. */
  stale = false;
  wake: (() => void) | undefined;

  constructor(private readonly maxBacklog: number) {}

  deliver(event: Event): void {
    this.buffer.push(event);
    if (this.buffer.length > this.maxBacklog) {
      // Everything delivered is already committed, so a replaying watcher reads it back later.
      if (this.replaying) this.dropped = true;
      else this.overflowed = true;
      this.buffer = [];
    }
    this.wake?.();
  }
}

interface ProjectLedger {
  watchers: Set<Watcher>;
  /** Resolved appends waiting for an earlier seq, ascending. */
  held: Event[];
  /** Appends made through the hub that have not settled yet. */
  inFlight: number;
  /** The last seq delivered (the store's last seq before the hub's first append). */
  last: bigint | undefined;
  /** Settles once last is known. */
  known: Promise<void> | undefined;
  /** Live watchers past the pace mark and not yet back under half of it; producers wait
   * while there is one. */
  lagging: Set<Watcher>;
  /** The producers waiting, and the timer that stops waiting for the laggards. */
  pacing: { resume: (() => void)[]; timer: NodeJS.Timeout } | undefined;
}

export interface EventHubOptions {
  /** Undelivered events at which a watcher is cut off (RESOURCE_EXHAUSTED); 10,000. */
  maxBacklog?: number;
  /** Undelivered events at which a live watcher holds the producers back; a tenth of maxBacklog. */
  paceMark?: number;
  /** How long producers wait for a lagging watcher before leaving it behind; 2 s. */
  paceWaitMs?: number;
}

export class EventHub {
  readonly #store: Store;
  readonly #maxBacklog: number;
  readonly #paceMark: number;
  readonly #paceWaitMs: number;
  readonly #projects = new Map<string, ProjectLedger>();
  /** What /metrics reads of this hub (lead-metrics.ts). */
  readonly gauges = gaugeSource({
    appendsInFlight: () => [...this.#projects.values()].reduce((n, p) => n + p.inFlight, 0),
    watchBacklog: () => {
      let most = 0;
      for (const p of this.#projects.values())
        for (const w of p.watchers) most = Math.max(most, w.buffer.length);
      return most;
    },
  });

  constructor(store: Store, options: EventHubOptions = {}) {
    this.#store = store;
    this.#maxBacklog = options.maxBacklog ?? 10_000;
    this.#paceMark = Math.max(2, options.paceMark ?? Math.floor(this.#maxBacklog / 10));
    this.#paceWaitMs = options.paceWaitMs ?? 2_000;
  }

  /**
   * Undefined while every live watcher of the project keeps up; else a promise that settles
   * once the laggards are back under half the pace mark, gone, or left behind. A producer
   * (a worker's stream) awaits it before it reads on.
   */
  paced(projectId: string): Promise<void> | undefined {
    const state = this.#projects.get(projectId);
    if (state === undefined || state.lagging.size === 0) return undefined;
    state.pacing ??= {
      resume: [],
      timer: setTimeout(() => this.#leaveLaggardsBehind(state), this.#paceWaitMs).unref(),
    };
    const { resume } = state.pacing;
    return new Promise((resolve) => resume.push(resolve));
  }

  /** Persists the event (the store assigns seq), with what it reports in the same
   * transaction, and delivers it to the project's live watchers, in seq order. */
  async append(projectId: string, payload: EventPayload, change?: StateChange): Promise<Event> {
    const state = this.#state(projectId);
    state.inFlight++;
    try {
      // Asked once, before the hub's first append, so every later delivery can tell whether
      // an earlier event is still on its way. Rejects for an unknown project.
      // A failed read (a storage fault, an unknown project) is asked again next time.
      state.known ??= this.#store.lastSeq(projectId).then(
        (seq) => {
          state.last ??= seq;
        },
        (err: unknown) => {
          state.known = undefined;
          throw err;
        },
      );
      await state.known;
      const event = await this.#store.appendEvent(projectId, payload, change);
      let i = state.held.length;
      while (i > 0 && state.held[i - 1]!.seq > event.seq) i--;
      state.held.splice(i, 0, event);
      return event;
    } finally {
      state.inFlight--;
      this.#deliver(projectId, state);
    }
  }

  /**
   * Every event of the project with seq > afterSeq: first replayed from the store, then live,
   * until the signal aborts. Throws RESOURCE_EXHAUSTED when the consumer falls more than
   * maxBacklog events behind, NOT_FOUND for an unknown project. `send` gives what is yielded
   * for each event (the event itself, or a form of it for the wire).
   */
  async *watch(
    projectId: string,
    afterSeq: bigint,
    signal: AbortSignal,
    send: (event: Event) => Event = (event) => event,
  ): AsyncGenerator<Event> {
    // One at a time: every event not yet yielded counts toward the backlog.
    for await (const [event] of this.watchBatches(projectId, afterSeq, signal, 1)) {
      yield send(event!);
    }
  }

  /**
   * watch, with the events grouped: each batch holds, in seq order, the events ready when the
   * consumer asked for more, at least one and at most `max`. A consumer that keeps up gets
   * them as they come; one behind gets up to `max` at a time, which it sends for much less
   * per event (WatchEventBatches). The batch being sent does not count toward the backlog.
   */
  async *watchBatches(
    projectId: string,
    afterSeq: bigint,
    signal: AbortSignal,
    max: number,
  ): AsyncGenerator<Event[]> {
    if (signal.aborted) return;
    // Subscribed before the first read, so an event committed after that read is buffered.
    const watcher = new Watcher(this.#maxBacklog);
    const state = this.#state(projectId);
    state.watchers.add(watcher);
    const onAbort = () => watcher.wake?.();
    signal.addEventListener('abort', onAbort, { once: true });
    let last = afterSeq;
    let reread: bigint | undefined;
    try {
      while (!signal.aborted) {
        if (watcher.replaying || watcher.stale) {
          watcher.dropped = false;
          watcher.stale = false;
          const page = await this.#read(projectId, last);
          const fresh = page.filter((event) => event.seq > last);
          for (let i = 0; i < fresh.length; i += max) {
            if (signal.aborted) return;
            const batch = fresh.slice(i, i + max);
            yield batch;
            last = batch.at(-1)!.seq;
          }
          // A full page may have more behind it; a dropped buffer left a hole only the store fills.
          if (page.length === PAGE_SIZE || watcher.dropped) continue;
          watcher.replaying = false;
        }
        if (watcher.overflowed) {
          throw new OrchestratorError(
            'overflow',
            `the watch of project "${projectId}" fell ${(state.last ?? last) - last} events behind ` +
              `(at most ${this.#maxBacklog} may wait); watch again with after_seq ${last}, ` +
              'the last seq it received, to get the rest',
          );
        }
        const { buffer } = watcher;
        const batch: Event[] = [];
        let taken = 0;
        for (; taken < buffer.length && batch.length < max; taken++) {
          const event = buffer[taken]!;
          if (event.seq > last + 1n && reread !== event.seq) {
            // Written past the hub: the store has what is missing (read once, not in a loop).
            reread = event.seq;
            watcher.replaying = true;
            break;
          }
          if (event.seq <= last) continue;
          batch.push(event);
          last = event.seq;
        }
        buffer.splice(0, taken);
        if (batch.length > 0) {
          if (buffer.length <= this.#paceMark / 2) this.#caughtUp(state, watcher);
          yield batch;
        } else if (!watcher.replaying && !watcher.stale) {
          // Told of another lead's commit while it read: read again rather than wait.
          await new Promise<void>((resolve) => {
            watcher.wake = resolve;
          });
          watcher.wake = undefined;
        }
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      state.watchers.delete(watcher);
      this.#caughtUp(state, watcher);
      this.#forgetIfIdle(projectId, state);
    }
  }

  /**
   * Another lead committed events of the project up to seq (or, with no project, of any
   * project: a notice may have been missed): its watchers here read them from the store.
   */
  committedElsewhere(projectId?: string, seq?: bigint): void {
    const states =
      projectId === undefined ? [...this.#projects.values()] : [this.#projects.get(projectId)];
    for (const state of states) {
      if (
        state === undefined ||
        (seq !== undefined && state.last !== undefined && seq <= state.last)
      )
        continue;
      for (const watcher of state.watchers) {
        watcher.stale = true;
        watcher.wake?.();
      }
    }
  }

  /**
   * This lead starts writing a project another may have written since: the last seq is
   * asked from the store again before the next append.
   */
  adopted(projectId: string): void {
    const state = this.#projects.get(projectId);
    if (state === undefined || state.inFlight > 0 || state.held.length > 0) return;
    state.known = undefined;
    state.last = undefined;
    this.#forgetIfIdle(projectId, state);
  }

  /** Number of live watchers of a project (for metrics and tests). */
  watchers(projectId: string): number {
    return this.#projects.get(projectId)?.watchers.size ?? 0;
  }

  async #read(projectId: string, afterSeq: bigint): Promise<Event[]> {
    try {
      return await this.#store.readEvents(projectId, afterSeq, PAGE_SIZE);
    } catch (err) {
      if (err instanceof StoreError && err.code === 'not_found') {
        throw new OrchestratorError(
          'not_found',
          `project "${projectId}" does not exist; create it first or check the id`,
        );
      }
      throw err;
    }
  }

  #state(projectId: string): ProjectLedger {
    let state = this.#projects.get(projectId);
    if (state === undefined) {
      state = {
        watchers: new Set(),
        held: [],
        inFlight: 0,
        last: undefined,
        known: undefined,
        lagging: new Set(),
        pacing: undefined,
      };
      this.#projects.set(projectId, state);
    }
    return state;
  }

  /**
   * Delivers held events while the next one follows the last delivered, or all of them once
   * no append is in flight: then nothing earlier can still arrive.
   */
  #deliver(projectId: string, state: ProjectLedger): void {
    let n = 0;
    for (const event of state.held) {
      const next = state.last !== undefined && event.seq === state.last + 1n;
      if (state.inFlight > 0 && !next) break;
      n++;
      if (state.last !== undefined && event.seq <= state.last) continue;
      state.last = event.seq;
      for (const watcher of state.watchers) {
        watcher.deliver(event);
        if (watcher.overflowed) {
          state.watchers.delete(watcher);
          this.#caughtUp(state, watcher);
        } else if (
          watcher.buffer.length >= this.#paceMark &&
          !watcher.replaying &&
          !watcher.leftBehind &&
          !state.lagging.has(watcher)
        ) {
          state.lagging.add(watcher);
        }
      }
    }
    state.held.splice(0, n);
    this.#forgetIfIdle(projectId, state);
  }

  /** The watcher no longer holds the producers back (it caught up, or it is gone). */
  #caughtUp(state: ProjectLedger, watcher: Watcher): void {
    watcher.leftBehind = false;
    if (state.lagging.delete(watcher) && state.lagging.size === 0) this.#resume(state);
  }

  /** The laggards took too little to wait for: the producers go on without them. */
  #leaveLaggardsBehind(state: ProjectLedger): void {
    for (const watcher of state.lagging) watcher.leftBehind = true;
    state.lagging.clear();
    this.#resume(state);
  }

  #resume(state: ProjectLedger): void {
    const pacing = state.pacing;
    if (pacing === undefined) return;
    state.pacing = undefined;
    clearTimeout(pacing.timer);
    for (const resolve of pacing.resume) resolve();
  }

  /** Keeps a project once its last seq is known (a few bytes), so it is asked only once. */
  #forgetIfIdle(projectId: string, state: ProjectLedger): void {
    const idle = state.watchers.size === 0 && state.inFlight === 0 && state.held.length === 0;
    if (idle && state.last === undefined) {
      this.#projects.delete(projectId);
    }
  }
}
