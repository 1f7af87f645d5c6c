// Leases of projects for leads that share one PostgreSQL database (ProjectLeases in store.ts).
// A lead claims a project by taking its row FOR UPDATE SKIP LOCKED where the lease ran out,
// writing its id, a new fencing token and when the lease ends (on the database's clock, so
// the leads' clocks need not agree). Every write the store makes for a project first takes
// the project's row FOR SHARE and checks the token (check): a claim, which updates the row,
// waits for such a write to commit, and once it has committed a stale lead's token no longer
// matches. So a lead that lost a project can never write for it again, whatever it thinks.
import { ProjectStatus } from '@codeframe/proto';
import pg from 'pg';
import type { PgSql } from './pg-sql.js';
import {
  notFound,
  type ProjectLeases,
  type ProjectOwner,
  StoreError,
  type StoreErrorCode,
} from './store.js';

/** Now on the database's clock, in ms since the epoch. */
export const DB_NOW = '(extract(epoch from clock_timestamp()) * 1000)::bigint';
/** Where commits of events are announced: "<project id> <last seq>". */
export const COMMIT_CHANNEL = 'codeframe_events';
/** The longest wait before listening again after the listening connection broke. */
const MAX_RELISTEN_MS = 5_000;

export interface LeaseSettings {
  /** This lead's id: the same after a restart, unique among the leads (CODEFRAME_LEAD_ID). */
  holder: string;
  /** Where other leads reach this one ('' until advertise tells). */
  url: string;
  /** How long a lease lasts unless renewed. */
  ttlMs: number;
}

/** A row whose project a write is about. */
export type ProjectOf =
  | { project: string }
  | { task: string }
  | { attempt: string }
  | { blocker: string };

const SELECT_LEASE = 'SELECT p.id, p.lease_owner, p.lease_token FROM projects p';
const LOCK: Record<string, string> = {
  project: `${SELECT_LEASE} WHERE p.id = $1 FOR SHARE OF p`,
  task: `${SELECT_LEASE} JOIN tasks t ON t.project_id = p.id WHERE t.id = $1 FOR SHARE OF p`,
  attempt: `${SELECT_LEASE} JOIN tasks t ON t.project_id = p.id
    JOIN attempts a ON a.task_id = t.id WHERE a.id = $1 FOR SHARE OF p`,
  blocker: `${SELECT_LEASE} JOIN blockers b ON b.project_id = p.id WHERE b.id = $1 FOR SHARE OF p`,
};

interface LeaseRow {
  id: string;
  lease_owner: string | null;
  lease_token: number;
}

export class PgLeases implements ProjectLeases {
  readonly #tokens = new Map<string, number>();
  readonly #creating = new Set<string>();

  constructor(
    private readonly sql: PgSql,
    private readonly connectionString: string,
    private readonly settings: LeaseSettings,
  ) {
    this.settings = { ...settings };
  }

  get holder(): string {
    return this.settings.holder;
  }

  get ttlMs(): number {
    return this.settings.ttlMs;
  }

  holds(projectId: string): boolean {
    return this.#tokens.has(projectId);
  }

  held(): string[] {
    return [...this.#tokens.keys()];
  }

  advertise(url: string): void {
    this.settings.url = url;
  }

  /** The token this lead holds for the project, if any. */
  token(projectId: string): number | undefined {
    return this.#tokens.get(projectId);
  }

  /**
   * A project this lead is inserting, its own from the start: no round of claims takes it
   * meanwhile (adopting a project in the middle of its first calls would act on a stale read).
   */
  creating(projectId: string): void {
    this.#creating.add(projectId);
  }

  /**
   * Records the lease of a project this lead created (committed) or gives up on it: token 1.
   * A claim that still took it (it began before creating) got a newer token: that one stands.
   */
  created(projectId: string, committed: boolean): void {
    this.#creating.delete(projectId);
    if (committed && !this.#tokens.has(projectId)) this.#tokens.set(projectId, 1);
  }

  async claim(projectIds?: string[]): Promise<string[]> {
    const values: unknown[] = [this.holder, [...this.held(), ...this.#creating], this.ttlMs];
    let which = `status NOT IN (${ProjectStatus.COMPLETED}, ${ProjectStatus.FAILED})`;
    if (projectIds) {
      values.push(projectIds);
      which = 'id = ANY($4::text[])';
    }
    const rows = await this.sql.all<{ id: string; lease_token: number }>(
      `WITH free AS (
         SELECT id FROM projects
         WHERE (lease_owner IS NULL OR lease_owner = $1 OR lease_expires_at < ${DB_NOW})
           AND NOT (id = ANY($2::text[])) AND ${which}
         ORDER BY id FOR UPDATE SKIP LOCKED)
       UPDATE projects p
       SET lease_owner = $1, lease_token = p.lease_token + 1, lease_expires_at = ${DB_NOW} + $3
       FROM free WHERE p.id = free.id
       RETURNING p.id, p.lease_token`,
      values,
    );
    for (const row of rows) this.#tokens.set(row.id, row.lease_token);
    return rows.map((row) => row.id);
  }

  async renew(): Promise<string[]> {
    const held = [...this.#tokens];
    const kept = await this.sql.all<{ id: string }>(
      `WITH here AS (
         INSERT INTO leads (id, url, seen_at) VALUES ($1, $2, ${DB_NOW})
         ON CONFLICT (id) DO UPDATE SET url = EXCLUDED.url, seen_at = EXCLUDED.seen_at)
       UPDATE projects p SET lease_expires_at = ${DB_NOW} + $3
       FROM unnest($4::text[], $5::bigint[]) AS h (id, token)
       WHERE p.id = h.id AND p.lease_owner = $1 AND p.lease_token = h.token
       RETURNING p.id`,
      [
        this.holder,
        this.settings.url,
        this.ttlMs,
        held.map(([id]) => id),
        held.map(([, token]) => token),
      ],
    );
    const still = new Set(kept.map((row) => row.id));
    const lost: string[] = [];
    for (const [id, token] of held) {
      if (still.has(id) || this.#tokens.get(id) !== token) continue;
      this.#tokens.delete(id);
      lost.push(id);
    }
    return lost;
  }

  async owner(projectId: string): Promise<ProjectOwner | undefined> {
    const row = await this.sql.one<{ holder: string | null; url: string | null; live: boolean }>(
      `SELECT p.lease_owner AS holder, l.url,
         (p.lease_owner IS NOT NULL AND p.lease_expires_at >= ${DB_NOW}) AS live
       FROM projects p LEFT JOIN leads l ON l.id = p.lease_owner WHERE p.id = $1`,
      [projectId],
    );
    return row && { holder: row.holder ?? '', url: row.url ?? '', live: row.live };
  }

  async release(): Promise<void> {
    const held = this.held();
    this.#tokens.clear();
    if (held.length === 0 || this.sql.closed) return;
    await this.sql.run(
      'UPDATE projects SET lease_expires_at = 0 WHERE lease_owner = $1 AND id = ANY($2::text[])',
      [this.holder, held],
    );
  }

  /**
   * Inside the caller's transaction: locks the project of the row FOR SHARE (a claim waits
   * for the transaction) and refuses unless this lead's token is the project's.
   */
  async check(of: ProjectOf): Promise<string> {
    const [kind, id] = Object.entries(of)[0] as [keyof typeof LOCK, string];
    const row = await this.sql.one<LeaseRow>(LOCK[kind]!, [id]);
    if (!row) throw notFound(kind, id);
    const token = this.#tokens.get(row.id);
    if (row.lease_owner === this.holder && token !== undefined && row.lease_token === token) {
      return row.id;
    }
    throw this.fenced(row.id, row.lease_owner);
  }

  /** The refusal of a write for a project this lead does not own (any more). */
  fenced(projectId: string, owner: string | null): StoreError {
    const now =
      owner && owner !== this.holder ? `lead "${owner}" owns it now` : 'its lease ran out';
    return new StoreError(
      'fenced' satisfies StoreErrorCode,
      `lead "${this.holder}" does not own project "${projectId}" (${now}); nothing was written: make the call again, and any lead passes it to the owner`,
    );
  }

  async onCommit(
    listener: (projectId: string | undefined, seq: bigint) => void,
  ): Promise<() => Promise<void>> {
    let client: pg.Client | undefined;
    let stopped = false;
    let failures = 0;
    let timer: NodeJS.Timeout | undefined;
    const listen = async (): Promise<void> => {
      const next = new pg.Client({ connectionString: this.connectionString });
      next.on('notification', ({ payload }) => {
        const [projectId, seq] = (payload ?? '').split(' ');
        if (projectId && seq && /^\d+$/.test(seq)) listener(projectId, BigInt(seq));
      });
      next.on('error', () => again());
      next.on('end', () => again());
      await next.connect();
      await next.query(`LISTEN ${COMMIT_CHANNEL}`);
      if (stopped) {
        await next.end().catch(() => {});
        return;
      }
      client = next;
      failures = 0;
    };
    // A broken connection may have missed commits: listeners are told any project may have
    // moved on, and it listens again, ever later while it keeps failing.
    const again = () => {
      if (stopped || timer) return;
      const broken = client;
      client = undefined;
      broken?.end().catch(() => {});
      failures++;
      timer = setTimeout(
        () => {
          timer = undefined;
          listen().then(
            () => listener(undefined, 0n),
            () => again(),
          );
        },
        Math.min(MAX_RELISTEN_MS, 100 * 2 ** failures),
      );
      timer.unref();
    };
    await listen();
    return async () => {
      stopped = true;
      clearTimeout(timer);
      await client?.end().catch(() => {});
    };
  }
}
