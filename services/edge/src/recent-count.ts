/** Counts occurrences within a sliding window, to tell a burst from an occasional slip. */
export class RecentCount {
  #times: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Records one; true when more than `limit` happened within the window. */
  add(now = Date.now()): boolean {
    this.#times = this.#times.filter((t) => now - t < this.windowMs);
    this.#times.push(now);
    if (this.#times.length > this.limit + 1) this.#times.shift();
    return this.#times.length > this.limit;
  }
}
