/**
 * The appends of one worker stream still committing. The stream's next event is read while
 * earlier ones commit (the event log writes every append of a tick in one transaction), so a
 * stream is not held to one event per commit; at `size` appends in flight the reader waits
 * for them, which holds the worker's stream back when the log falls behind. It waits too
 * while `paced` says the project's watchers fall behind (the event hub's pacing). Appends
 * keep their order: each is queued when it is made.
 */
export class CommitWindow {
  #pending: Promise<unknown>[] = [];

  constructor(
    private readonly size: number,
    private readonly paced: () => Promise<void> | undefined = () => undefined,
  ) {}

  /** Adds an append in flight; when the window is full, waits for all of them. */
  async add(append: Promise<unknown>): Promise<void> {
    // Observed here so an early failure is not unhandled; settle() throws it.
    append.catch(() => {});
    this.#pending.push(append);
    if (this.#pending.length >= this.size) await this.settle();
    const pacing = this.paced();
    if (pacing) await pacing;
  }

  /** Waits until every append so far is committed; throws the first failure among them. */
  async settle(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    await Promise.all(pending);
  }
}
