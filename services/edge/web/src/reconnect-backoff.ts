// Delays between reconnection attempts: 0.5 s doubling up to 10 s, each with ±25 % jitter
// so that many open dashboards do not reconnect in lockstep after an edge restart.

const FIRST_MS = 500;
const MAX_MS = 10_000;
const JITTER = 0.25;

export class ReconnectBackoff {
  #attempt = 0;

  constructor(private readonly random: () => number = Math.random) {}

  /** The delay before the next attempt; each call lengthens the following one. */
  next(): number {
    const base = Math.min(MAX_MS, FIRST_MS * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 16);
    return Math.round(base * (1 - JITTER + 2 * JITTER * this.random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
