import { once } from 'node:events';

interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

/** Counts work that has not ended (requests whose responses have not closed, tasks whose
 * cleanup has not run), so a shutdown can wait for it. */
export class InFlight {
  #count = 0;
  readonly #idle = new EventTarget();

  get count(): number {
    return this.#count;
  }

  /** Counts one more; call the returned function when it ends (later calls do nothing). */
  begin(): () => void {
    this.#count++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#count--;
      if (this.#count === 0) this.#idle.dispatchEvent(new Event('idle'));
    };
  }

  /** Counts a response until it closes. */
  track(res: Closable): void {
    res.once('close', this.begin());
  }

  /** Resolves true when nothing is in flight, false if `ms` passes first. */
  async idle(ms: number): Promise<boolean> {
    if (this.#count === 0) return true;
    const timeout = AbortSignal.timeout(ms);
    try {
      await once(this.#idle, 'idle', { signal: timeout });
      return true;
    } catch {
      return false;
    }
  }
}
