import type { Subscription } from './subscription.js';

/**
 * One socket's subscriptions, by project. Most sockets watch one project, so the first is
 * held as it is; a Map is made only when a second joins it.
 */
export class ProjectSubscriptions {
  #one: Subscription | undefined;
  #many: Map<string, Subscription> | undefined;

  get size(): number {
    return this.#many ? this.#many.size : this.#one ? 1 : 0;
  }

  get(projectId: string): Subscription | undefined {
    if (this.#many) return this.#many.get(projectId);
    return this.#one?.projectId === projectId ? this.#one : undefined;
  }

  /** Adds `subscription`, replacing the one to the same project. */
  set(subscription: Subscription): void {
    if (!this.#many && (!this.#one || this.#one.projectId === subscription.projectId)) {
      this.#one = subscription;
      return;
    }
    if (!this.#many) {
      this.#many = new Map([[this.#one!.projectId, this.#one!]]);
      this.#one = undefined;
    }
    this.#many.set(subscription.projectId, subscription);
  }

  /** Removes the subscription to `projectId`; false when there was none. */
  delete(projectId: string): boolean {
    if (this.#many) return this.#many.delete(projectId);
    if (this.#one?.projectId !== projectId) return false;
    this.#one = undefined;
    return true;
  }

  /** Each subscription; one deleted meanwhile is not visited. */
  *[Symbol.iterator](): Iterator<Subscription> {
    if (this.#many) yield* this.#many.values();
    else if (this.#one) yield this.#one;
  }
}
