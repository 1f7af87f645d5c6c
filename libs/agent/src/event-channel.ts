/**
 * A queue that callbacks push into while an async generator awaits some work, so events
 * raised during the work (a retry, a chunk of command output) are yielded as they happen
 * rather than after it.
 */
export class EventChannel<T> {
  readonly #items: T[] = [];
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#wake?.();
  }

  /** Yields pushed items until `work` settles, then the rest; returns what `work` resolved. */
  async *until<R>(work: Promise<R>): AsyncGenerator<T, R> {
    let settled = false;
    const done = work.then(
      () => {
        settled = true;
        this.#wake?.();
      },
      () => {
        settled = true;
        this.#wake?.();
      },
    );
    while (true) {
      while (this.#items.length > 0) yield this.#items.shift() as T;
      if (settled) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
    await done;
    return work;
  }
}
