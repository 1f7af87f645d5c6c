// The append-only event log of every project. A busy run emits hundreds of events a second
// (command output, activity), and a commit per event would make the disk the bottleneck, so
// appends made in the same tick are queued and written on the next setImmediate in one
// transaction; each caller's promise settles only after that commit.
import { fromBinary } from '@bufbuild/protobuf';
import { type Event, EventSchema, rememberEncoding } from '@codeframe/proto';
import type { Database, Statement } from 'better-sqlite3';
import {
  changeRefused,
  failBatch,
  numbered,
  type PendingAppend,
  prepareChange,
  settle,
} from './event-batch.js';

import { guarded, storageFault } from './sqlite-faults.js';
import { type EventPayload, notFound, type StateChange, StoreError } from './store.js';

export class SqliteEventLog {
  private queue: PendingAppend[] = [];
  private flushed: Promise<void> | undefined;
  /** Projects an append already found. */
  readonly #known = new Set<string>();
  private readonly projectSeq: Statement<[string], number | undefined>;
  private readonly writeBatch: (batch: PendingAppend[]) => (Event | StoreError)[];

  constructor(private readonly db: Database) {
    this.projectSeq = db
      .prepare<[string], number>('SELECT last_seq FROM projects WHERE id = ?')
      .pluck();
    const insert = db.prepare(
      'INSERT INTO events (project_id, seq, time, type, payload) VALUES (?, ?, ?, ?, ?)',
    );
    const setLastSeq = db.prepare('UPDATE projects SET last_seq = ? WHERE id = ?');
    const setProjectStatus = db.prepare(
      'UPDATE projects SET status = ?, updated_at = ? WHERE id = ?',
    );
    const taskStatus = db
      .prepare<[string, string], number>('SELECT status FROM tasks WHERE id = ? AND project_id = ?')
      .pluck();
    /** Writes what the event reports; an error (nothing written) when the task refuses it. */
    const applyChange = (item: PendingAppend): StoreError | undefined => {
      const { task, projectStatus } = item.change!;
      if (task) {
        const where = task.whileStatus === undefined ? '' : ' AND status = ?';
        const changed = db
          .prepare(
            `UPDATE tasks SET ${task.sets.map(([column]) => `${column} = ?`).join(', ')}
             WHERE id = ? AND project_id = ?${where}`,
          )
          .run(
            ...task.sets.map(([, value]) => value),
            task.id,
            item.projectId,
            ...(task.whileStatus === undefined ? [] : [task.whileStatus]),
          ).changes;
        if (changed === 0) {
          return changeRefused(item.projectId, task, taskStatus.get(task.id, item.projectId));
        }
      }
      if (projectStatus !== undefined)
        setProjectStatus.run(projectStatus, item.time, item.projectId);
      return undefined;
    };
    this.writeBatch = db.transaction((batch: PendingAppend[]) => {
      const seqs = new Map<string, bigint>();
      const outcomes = batch.map((item) => {
        const refused = item.change && applyChange(item);
        if (refused) return refused;
        const previous = seqs.get(item.projectId) ?? this.requireProject(item.projectId);
        const seq = previous + 1n;
        seqs.set(item.projectId, seq);
        const { event, bytes } = numbered(item, seq);
        insert.run(item.projectId, seq, item.time, item.payload.case, bytes);
        return event;
      });
      for (const [projectId, seq] of seqs) setLastSeq.run(seq, projectId);
      return outcomes;
    });
  }

  append(projectId: string, payload: EventPayload, change?: StateChange): Promise<Event> {
    if (payload?.case === undefined) {
      return Promise.reject(new StoreError('invalid', 'an event needs a payload; none was set'));
    }
    if (!this.db.open) {
      return Promise.reject(new Error('the store was closed; open it again before using it'));
    }
    // Checked now, not in the batch, so one bad project id cannot fail everyone's events;
    // asked once per project (projects are never deleted).
    if (!this.#known.has(projectId)) {
      try {
        if (guarded(() => this.projectSeq.get(projectId)) === undefined) {
          return Promise.reject(notFound('project', projectId));
        }
      } catch (err) {
        return Promise.reject(err);
      }
      this.#known.add(projectId);
    }
    return new Promise((resolve, reject) => {
      const time = Date.now();
      this.queue.push({
        projectId,
        payload,
        time,
        change: prepareChange(change, time),
        resolve,
        reject,
      });
      this.flushed ??= new Promise((done) =>
        setImmediate(() => {
          this.flush();
          done();
        }),
      );
    });
  }

  read(projectId: string, afterSeq: bigint, limit: number): Event[] {
    this.requireProject(projectId);
    if (!Number.isInteger(limit) || limit < 0) {
      throw new StoreError('invalid', `limit must be a whole number ≥ 0, got ${limit}`);
    }
    const payloads = guarded(() =>
      this.db
        .prepare<[string, bigint, number], Uint8Array>(
          'SELECT payload FROM events WHERE project_id = ? AND seq > ? ORDER BY seq LIMIT ?',
        )
        .pluck()
        .all(projectId, afterSeq < 0n ? 0n : afterSeq, limit),
    );
    return payloads.map((payload) => rememberEncoding(fromBinary(EventSchema, payload), payload));
  }

  lastSeq(projectId: string): bigint {
    return this.requireProject(projectId);
  }

  /** Resolves once every append made so far is committed (or rejected). */
  async drain(): Promise<void> {
    while (this.flushed) await this.flushed;
  }

  private requireProject(projectId: string): bigint {
    const seq = guarded(() => this.projectSeq.get(projectId));
    if (seq === undefined) throw notFound('project', projectId);
    return BigInt(seq);
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    this.flushed = undefined;
    let outcomes: (Event | StoreError)[];
    try {
      outcomes = this.writeBatch(batch);
    } catch (err) {
      failBatch(batch, storageFault(err), err);
      return;
    }
    settle(batch, outcomes);
  }
}
