import { once } from 'node:events';

interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

/** Counts requests whose responses have not closed, so a shutdown can wait for them. */
export class InFlight {
  #count = 0;
  readonly #idle = new EventTarget();

  get count(): number {
    return this.#count;
  }

  track(res: Closable): void {
    this.#count++;
    res.once('close', () => {
      this.#count--;
      if (this.#count === 0) this.#idle.dispatchEvent(new Event('idle'));
    });
  }

  /** Resolves true when no request is in flight, false if `ms` passes first. */
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
