import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { Event } from '@codeframe/proto';
import { sleep } from '@codeframe/runtime';
import { monotonicMicros } from '../harness/bench-clock.js';
import { stampedEvent } from '../harness/stamped-event.js';

// One project's event log in the synthetic lead. Events are made when a watcher pulls them
// (the gRPC stream's flow control decides when), either as fast as it pulls for a while
// (burst) or at a fixed rate, each stamped with the time it was made.

export interface ProductionReport {
  produced: number;
  firstStampUs: number;
  lastStampUs: number;
}

type Mode =
  | { kind: 'idle' }
  | { kind: 'burst'; untilUs: number }
  | { kind: 'rate'; intervalUs: number; startUs: number; count: number };

/** Events kept for watchers that start behind the head. */
const KEPT = 10_000;

export class EventSource {
  #log: Event[] = [];
  #head = 0;
  #mode: Mode = { kind: 'idle' };
  #startSeq = 0;
  #report: ProductionReport = { produced: 0, firstStampUs: 0, lastStampUs: 0 };
  #finish: ((report: ProductionReport) => void) | undefined;
  #wake: (() => void)[] = [];

  constructor(readonly projectId: string) {}

  get head(): number {
    return this.#head;
  }

  /** Makes events as fast as watchers take them for `seconds`; resolves what was made. */
  burst(seconds: number): Promise<ProductionReport> {
    const done = this.#start({ kind: 'burst', untilUs: monotonicMicros() + seconds * 1e6 });
    setTimeout(() => this.#end(), seconds * 1000).unref();
    return done;
  }

  /** Makes `count` events, `perSecond` a second; resolves once the last was made. */
  rate(perSecond: number, count: number): Promise<ProductionReport> {
    const mode: Mode = {
      kind: 'rate',
      intervalUs: 1e6 / perSecond,
      startUs: monotonicMicros(),
      count,
    };
    return this.#start(mode);
  }

  /** Every event after `afterSeq`, then each new one, until the signal aborts. */
  async *watch(afterSeq: number, signal: AbortSignal): AsyncGenerator<Event> {
    if (afterSeq < this.#head - this.#log.length) {
      throw new Error(`events after ${afterSeq} are no longer kept (head ${this.#head})`);
    }
    let next = afterSeq + 1;
    let sinceYield = 0;
    while (!signal.aborted) {
      const kept = this.#kept(next);
      if (kept) {
        yield kept;
        next++;
        continue;
      }
      const made = await this.#produce(signal);
      if (made) {
        // A burst pulled through buffered writes would never give the loop a turn.
        if (++sinceYield % 256 === 0) await yieldToLoop();
      }
    }
  }

  #kept(seq: number): Event | undefined {
    const index = this.#log.length - (this.#head - seq) - 1;
    return seq <= this.#head ? this.#log[index] : undefined;
  }

  #start(mode: Mode): Promise<ProductionReport> {
    this.#end();
    this.#mode = mode;
    this.#startSeq = this.#head;
    this.#report = { produced: 0, firstStampUs: 0, lastStampUs: 0 };
    const done = new Promise<ProductionReport>((resolve) => {
      this.#finish = resolve;
    });
    this.#wakeAll();
    return done;
  }

  #end(): void {
    this.#mode = { kind: 'idle' };
    const finish = this.#finish;
    this.#finish = undefined;
    finish?.(this.#report);
  }

  async #produce(signal: AbortSignal): Promise<boolean> {
    const mode = this.#mode;
    if (mode.kind === 'burst') {
      if (monotonicMicros() >= mode.untilUs) {
        this.#end();
        return false;
      }
      this.#append();
      return true;
    }
    if (mode.kind === 'rate') {
      const index = this.#head - this.#startSeq;
      if (index >= mode.count) {
        this.#end();
        return false;
      }
      const waitUs = mode.startUs + index * mode.intervalUs - monotonicMicros();
      if (waitUs > 1000) await sleep(waitUs / 1000, signal).catch(() => {});
      if (this.#mode !== mode || this.#head - this.#startSeq !== index) return false;
      this.#append();
      if (index + 1 >= mode.count) this.#end();
      return true;
    }
    await new Promise<void>((resolve) => {
      const wake = () => {
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#wake.push(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
    return false;
  }

  #append(): void {
    const stamp = monotonicMicros();
    this.#head++;
    this.#log.push(stampedEvent(this.projectId, this.#head, stamp));
    if (this.#log.length > KEPT * 2) this.#log = this.#log.slice(-KEPT);
    const report = this.#report;
    report.produced++;
    if (report.firstStampUs === 0) report.firstStampUs = stamp;
    report.lastStampUs = stamp;
  }

  #wakeAll(): void {
    for (const wake of this.#wake.splice(0)) wake();
  }
}
