// Keeps this lead's leases of projects on a database the leads share: renews them a few
// times per lease, lets go of the ones another lead took (their dispatches stop), and claims
// the projects whose lead died or stopped (they carry on here).
import type { Logger } from '@codeframe/runtime';
import type { ProjectLeases } from '@codeframe/store';

export interface LeaseKeeperOptions {
  leases: ProjectLeases;
  logger: Logger;
  /** A project this lead claimed: it carries on here. */
  adopt(projectId: string): Promise<void>;
  /** A project another lead took: this one stops its dispatches. */
  lost(projectId: string): void;
}

/** Renewals per lease time: one or two may fail and the lease still holds. */
const ROUNDS_PER_LEASE = 3;

export class LeaseKeeper {
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  #stopped = false;
  /** Claimed, not yet taken up (taking up failed: the store was out of reach). */
  readonly #unadopted = new Set<string>();

  constructor(private readonly o: LeaseKeeperOptions) {}

  /** Claims what is free now, then keeps at it until stop. */
  async start(): Promise<void> {
    await this.#tick();
    this.#schedule();
  }

  /** Stops renewing and hands every project over at once (a clean stop of the lead). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#round;
    await this.o.leases.release().catch((err: unknown) => {
      this.o.logger.warn(
        { err },
        'could not hand the projects over; they move once their leases run out',
      );
    });
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#round = this.#tick().finally(() => {
        this.#round = undefined;
        this.#schedule();
      });
    }, this.o.leases.ttlMs / ROUNDS_PER_LEASE);
    this.#timer.unref();
  }

  /**
   * Claims the project now, when no live lead holds it (a call about it came here);
   * whether this lead holds it after.
   */
  async claim(projectId: string): Promise<boolean> {
    if (!(await this.o.leases.claim([projectId])).includes(projectId)) return false;
    this.#unadopted.add(projectId);
    await this.#adoptClaimed();
    return this.o.leases.holds(projectId);
  }

  async #adoptClaimed(): Promise<void> {
    const { leases, logger } = this.o;
    for (const projectId of [...this.#unadopted]) {
      if (this.#stopped) return;
      if (!leases.holds(projectId)) {
        this.#unadopted.delete(projectId);
        continue;
      }
      try {
        await this.o.adopt(projectId);
        this.#unadopted.delete(projectId);
        logger.info({ projectId }, 'took the project up');
      } catch (err) {
        logger.error({ err, projectId }, 'could not take the project up; trying again');
      }
    }
  }

  async #tick(): Promise<void> {
    const { leases, logger } = this.o;
    try {
      for (const projectId of await leases.renew()) {
        logger.warn({ projectId }, 'another lead took the project over');
        this.o.lost(projectId);
      }
      for (const projectId of await leases.claim()) this.#unadopted.add(projectId);
      await this.#adoptClaimed();
    } catch (err) {
      // The database is out of reach: the leases hold for a while, and the fence refuses
      // what this lead writes once another has taken a project.
      logger.warn({ err }, 'could not renew the leases; trying again');
    }
  }
}
