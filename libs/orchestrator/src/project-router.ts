// Which lead makes a write about a project. With several leads on one database each project
// is run by the lead holding its lease: a call that reaches another lead is passed on to the
// owner (once: a passed-on call is never passed on again), and a project no live lead holds
// is claimed by the lead the call reached. Reads are answered by any lead from the database.
import { createLeadClient, type LeadClient } from '@codeframe/rpc';
import type { ProjectLeases } from '@codeframe/store';
import { type CallOptions, Code, ConnectError, type HandlerContext } from '@connectrpc/connect';

/** Set on a call one lead passes to another: the id of the lead that passed it. */
export const FORWARDED_BY = 'codeframe-forwarded-by';
/** A passed-on call that sets no deadline of its own (planning asks the model). */
const FORWARD_TIMEOUT_MS = 10 * 60_000;

/** Where to pass a call: the owner's client and the options to call it with. */
export interface Forward {
  lead: LeadClient;
  options: CallOptions;
}

export interface ProjectRouterOptions {
  /** Absent with a store of this lead's own: it runs every project. */
  leases?: ProjectLeases;
  /** The token the leads share (CODEFRAME_AUTH_TOKEN). */
  token?: string;
  /** Claims a project no live lead holds and takes it up; whether this lead holds it after
   * (LeaseKeeper.claim). */
  claim(projectId: string): Promise<boolean>;
}

export class ProjectRouter {
  readonly #clients = new Map<string, LeadClient>();

  constructor(private readonly o: ProjectRouterOptions) {}

  /** Undefined when the write is made here; else where to pass it. */
  async route(projectId: string, ctx: HandlerContext): Promise<Forward | undefined> {
    const { leases } = this.o;
    if (!leases) return undefined;
    for (let round = 0; round < 2; round++) {
      if (leases.holds(projectId)) return undefined;
      const owner = await leases.owner(projectId);
      // An unknown project: the handler says so.
      if (!owner) return undefined;
      if (owner.live && owner.holder !== leases.holder) {
        const by = ctx.requestHeader.get(FORWARDED_BY);
        if (by !== null) {
          throw new ConnectError(
            `lead "${by}" passed a call about project "${projectId}" here, but lead "${owner.holder}" owns it now: the project is moving between leads; make the call again`,
            Code.Unavailable,
          );
        }
        if (!owner.url) {
          throw new ConnectError(
            `lead "${owner.holder}" owns project "${projectId}" but has not said where it is reached; make the call again once it has`,
            Code.Unavailable,
          );
        }
        return { lead: this.#client(owner.url), options: this.#options(ctx, leases.holder) };
      }
      // No live lead holds it (its owner died, or stopped): this one takes it up.
      if (await this.o.claim(projectId)) return undefined;
    }
    throw new ConnectError(
      `project "${projectId}" is being taken over by another lead; make the call again`,
      Code.Unavailable,
    );
  }

  #options(ctx: HandlerContext, holder: string): CallOptions {
    return {
      signal: ctx.signal,
      timeoutMs: ctx.timeoutMs() ?? FORWARD_TIMEOUT_MS,
      headers: { [FORWARDED_BY]: holder },
    };
  }

  #client(url: string): LeadClient {
    let client = this.#clients.get(url);
    if (!client) {
      client = createLeadClient({ baseUrl: url, token: this.o.token });
      this.#clients.set(url, client);
    }
    return client;
  }
}
