// The append-only event log in PostgreSQL. As in SQLite (sqlite-event-log.ts), appends made
// while a batch is being written are queued and written next, in one transaction, and each
// caller's promise settles only after that commit. Each batch locks the rows of its projects
// (in id order, so two writers never deadlock) and numbers from their last_seq: writers in
// any number of processes take turns per project, and seqs stay gap-free and unique.
import { fromBinary } from '@bufbuild/protobuf';
import { type Event, EventSchema, rememberEncoding } from '@codeframe/proto';
import {
  changeRefused,
  failBatch,
  numbered,
  type PendingAppend,
  prepareChange,
  settle,
} from './event-batch.js';

import { COMMIT_CHANNEL, type PgLeases } from './pg-leases.js';
import { type PgSql, type Queryable, requireProject } from './pg-sql.js';
import { type EventPayload, notFound, type StateChange, StoreError } from './store.js';

/** Events per transaction at most: bounds the statement, not the rate. */
const MAX_BATCH = 2_000;

export class PgEventLog {
  #queue: PendingAppend[] = [];
  #writing: Promise<void> | undefined;

  constructor(
    private readonly sql: PgSql,
    private readonly leases?: PgLeases,
  ) {}

  append(projectId: string, payload: EventPayload, change?: StateChange): Promise<Event> {
    if (payload?.case === undefined) {
      return Promise.reject(new StoreError('invalid', 'an event needs a payload; none was set'));
    }
    if (this.sql.closed) {
      return Promise.reject(new Error('the store was closed; open it again before using it'));
    }
    // The project is checked inside the batch, under its lock: queued in call order now,
    // numbered in that order later.
    return new Promise((resolve, reject) => {
      const token = this.leases?.token(projectId);
      const time = Date.now();
      this.#queue.push({
        projectId,
        payload,
        time,
        token,
        change: prepareChange(change, time),
        resolve,
        reject,
      });
      // Everyone's batch: never part of a transaction the first caller happens to be in.
      this.#writing ??= this.sql.detached(() =>
        new Promise<void>((next) => setImmediate(next)).then(() => this.#writeAll()),
      );
    });
  }

  async read(projectId: string, afterSeq: bigint, limit: number): Promise<Event[]> {
    await requireProject(this.sql, projectId);
    if (!Number.isInteger(limit) || limit < 0) {
      throw new StoreError('invalid', `limit must be a whole number ≥ 0, got ${limit}`);
    }
    const rows = await this.sql.all<{ payload: Uint8Array }>(
      'SELECT payload FROM events WHERE project_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [projectId, String(afterSeq < 0n ? 0n : afterSeq), limit],
    );
    return rows.map(({ payload }) => rememberEncoding(fromBinary(EventSchema, payload), payload));
  }

  async lastSeq(projectId: string): Promise<bigint> {
    const row = await this.sql.one<{ last_seq: number }>(
      'SELECT last_seq FROM projects WHERE id = $1',
      [projectId],
    );
    if (!row) throw notFound('project', projectId);
    return BigInt(row.last_seq);
  }

  /** Resolves once every append made so far is committed (or rejected). */
  async drain(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  async #writeAll(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        await this.#write(batch);
      }
    } finally {
      this.#writing = undefined;
    }
  }

  async #write(batch: PendingAppend[]): Promise<void> {
    const ids = [...new Set(batch.map((item) => item.projectId))].sort();
    const outcomes: (Event | StoreError)[] = [];
    try {
      await this.sql.transaction(async (tx) => {
        const locked = await tx.all<{
          id: string;
          last_seq: number;
          lease_owner: string | null;
          lease_token: number;
        }>(
          `SELECT id, last_seq, lease_owner, lease_token FROM projects
           WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
          [ids],
        );
        const seqs = new Map(locked.map((row) => [row.id, BigInt(row.last_seq)]));
        const leases = new Map(locked.map((row) => [row.id, row]));
        const rows = {
          project: [] as string[],
          seq: [] as string[],
          time: [] as number[],
          type: [] as string[],
          payload: [] as Uint8Array[],
        };
        for (const item of batch) {
          const previous = seqs.get(item.projectId);
          // A bad project id fails its own append, not the batch.
          if (previous === undefined) {
            outcomes.push(notFound('project', item.projectId));
            continue;
          }
          // Leads sharing the store: only the holder of the token the append was made under.
          const lease = leases.get(item.projectId)!;
          if (
            this.leases &&
            (lease.lease_owner !== this.leases.holder || lease.lease_token !== item.token)
          ) {
            outcomes.push(this.leases.fenced(item.projectId, lease.lease_owner));
            continue;
          }
          const refused = item.change && (await applyChange(tx, item));
          if (refused) {
            outcomes.push(refused);
            continue;
          }
          const seq = previous + 1n;
          seqs.set(item.projectId, seq);
          const { event, bytes } = numbered(item, seq);
          rows.project.push(item.projectId);
          rows.seq.push(String(seq));
          rows.time.push(item.time);
          rows.type.push(item.payload.case);
          rows.payload.push(bytes);
          outcomes.push(event);
        }
        if (rows.project.length === 0) return;
        await tx.run(
          `INSERT INTO events (project_id, seq, time, type, payload)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::bytea[])`,
          [
            rows.project,
            rows.seq,
            rows.time,
            rows.type,
            rows.payload.map((b) => Buffer.from(b.buffer, b.byteOffset, b.byteLength)),
          ],
        );
        await tx.run(
          `UPDATE projects SET last_seq = v.seq
           FROM unnest($1::text[], $2::bigint[]) AS v (id, seq) WHERE projects.id = v.id`,
          [[...seqs.keys()], [...seqs.values()].map(String)],
        );
        // The other leads learn of the commit (delivered when it commits, not before).
        if (this.leases) {
          const written = new Set(rows.project);
          const notes = [...seqs].filter(([id]) => written.has(id)).map(([id, s]) => `${id} ${s}`);
          await tx.run('SELECT pg_notify($1, note) FROM unnest($2::text[]) AS note', [
            COMMIT_CHANNEL,
            notes,
          ]);
        }
      });
    } catch (err) {
      failBatch(batch, err, err);
      return;
    }
    settle(batch, outcomes);
  }
}

/** Writes what the event reports, in the batch's transaction; an error (nothing written)
 * when the task refuses it. */
async function applyChange(tx: Queryable, item: PendingAppend): Promise<StoreError | undefined> {
  const { task, projectStatus } = item.change!;
  if (task) {
    const values = [...task.sets.map(([, value]) => value), task.id, item.projectId];
    let where = `id = $${values.length - 1} AND project_id = $${values.length}`;
    if (task.whileStatus !== undefined) {
      values.push(task.whileStatus);
      where += ` AND status = $${values.length}`;
    }
    const sets = task.sets.map(([column], i) => `${column} = $${i + 1}`).join(', ');
    if ((await tx.run(`UPDATE tasks SET ${sets} WHERE ${where}`, values)) === 0) {
      const row = await tx.one<{ status: number }>(
        'SELECT status FROM tasks WHERE id = $1 AND project_id = $2',
        [task.id, item.projectId],
      );
      return changeRefused(item.projectId, task, row?.status);
    }
  }
  if (projectStatus !== undefined) {
    await tx.run('UPDATE projects SET status = $1, updated_at = $2 WHERE id = $3', [
      projectStatus,
      item.time,
      item.projectId,
    ]);
  }
  return undefined;
}
