import { Code, ConnectError } from '@connectrpc/connect';

/** How many tasks a worker runs at once; a task beyond it is refused, never queued. */
export class Capacity {
  #load = 0;

  constructor(readonly limit: number) {}

  get load(): number {
    return this.#load;
  }

  /** Takes a slot or throws RESOURCE_EXHAUSTED; call the returned function to give it back. */
  acquire(): () => void {
    if (this.#load >= this.limit) {
      throw new ConnectError(
        `worker is at capacity (${this.limit} tasks running): dispatch to another replica or retry later`,
        Code.ResourceExhausted,
      );
    }
    this.#load++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#load--;
    };
  }
}
