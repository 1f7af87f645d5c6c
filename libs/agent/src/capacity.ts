import { InFlight } from '@codeframe/rpc';
import { Code, ConnectError } from '@connectrpc/connect';

/** How many tasks a worker runs at once; a task beyond it is refused, never queued. A task
 * holds its slot until its cleanup is done (its work pushed, its worktree gone), so a
 * shutdown can wait for every task to end (`idle`). */
export class Capacity {
  readonly #running = new InFlight();

  constructor(readonly limit: number) {}

  get load(): number {
    return this.#running.count;
  }

  /** Takes a slot or throws RESOURCE_EXHAUSTED; call the returned function to give it back. */
  acquire(): () => void {
    if (this.load >= this.limit) {
      throw new ConnectError(
        `worker is at capacity (${this.limit} tasks running): dispatch to another replica or retry later`,
        Code.ResourceExhausted,
      );
    }
    return this.#running.begin();
  }

  /** Resolves true once no task holds a slot, false if `ms` passes first. */
  idle(ms: number): Promise<boolean> {
    return this.#running.idle(ms);
  }
}
