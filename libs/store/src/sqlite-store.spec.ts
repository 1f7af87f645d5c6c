import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  ActivityUpdateSchema,
  ProgressUpdateSchema,
  ProjectStatus,
  TaskKind,
} from '@codeframe/proto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { MIGRATIONS } from './sqlite-schema.js';
import { openSqliteStore, storeOnDatabase } from './sqlite-store.js';
import { describeStoreContract } from './store.contract.js';
import { type EventPayload, type Store, StoreError } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const freshFile = () => join(dir, `store-${++files}.db`);

describeStoreContract('sqlite file', () => openSqliteStore(freshFile()));
describeStoreContract('sqlite :memory:', () => openSqliteStore(':memory:'));

const note = (total: number): EventPayload => ({
  case: 'progressUpdate',
  value: create(ProgressUpdateSchema, { total }),
});

const PROJECT = {
  name: 'p',
  prd: '# P',
  repoUrl: 'file:///p.git',
  budgetUsd: 0,
  maxConcurrency: 0,
};

/** A connection whose transaction functions count how often they run (commit or not). */
function countingDatabase(path: string): { db: Database.Database; transactions: () => number } {
  const db = new Database(path);
  const original = db.transaction.bind(db);
  let count = 0;
  db.transaction = ((work: (...args: unknown[]) => unknown) => {
    const transaction = original(work);
    return Object.assign((...args: unknown[]) => {
      count++;
      return transaction(...args);
    }, transaction);
  }) as typeof db.transaction;
  return { db, transactions: () => count };
}

describe('SQLite store', () => {
  it('keeps everything across close and reopen, and continues seq without reuse', async () => {
    const path = freshFile();
    let store: Store = await openSqliteStore(path);
    const project = await store.createProject(PROJECT);
    const tasks = await store.savePlan(project.id, [
      {
        key: 'a',
        title: 'A',
        description: 'a',
        kind: TaskKind.BACKEND,
        dependsOn: [],
        acceptanceCriteria: ['works'],
      },
      {
        key: 'b',
        title: 'B',
        description: 'b',
        kind: TaskKind.TEST,
        dependsOn: ['a'],
        acceptanceCriteria: [],
      },
    ]);
    const attempt = await store.startAttempt(tasks[0]!.id, 'w1');
    await store.finishAttempt(attempt.id, 'completed');
    const blocker = await store.createBlocker(project.id, tasks[1]!.id, 'why?');
    await store.addUsage(project.id, tasks[0]!.id, {
      inputTokens: 10,
      outputTokens: 2,
      cacheReadInputTokens: 0,
      cacheCreationInputTokens: 0,
      costUsd: 0.01,
      calls: 1,
      unpriced: false,
    });
    for (let i = 1; i <= 3; i++) await store.appendEvent(project.id, note(i));
    const before = {
      project: await store.getProject(project.id),
      tasks: await store.listTasks(project.id),
      attempts: await store.listAttempts(tasks[0]!.id),
      blockers: await store.listBlockers(project.id, true),
      events: await store.readEvents(project.id, 0n, 100),
    };
    await store.close();

    store = await openSqliteStore(path);
    expect(await store.getProject(project.id)).toEqual(before.project);
    expect(await store.listTasks(project.id)).toEqual(before.tasks);
    expect(await store.listAttempts(tasks[0]!.id)).toEqual(before.attempts);
    expect(await store.listBlockers(project.id, true)).toEqual(before.blockers);
    expect(await store.getBlocker(blocker.id)).toEqual(before.blockers[0]);
    expect(await store.readEvents(project.id, 0n, 100)).toEqual(before.events);
    expect(await store.lastSeq(project.id)).toBe(3n);
    expect((await store.appendEvent(project.id, note(4))).seq).toBe(4n);
    await store.close();
  });

  it('creates missing parent directories and runs in WAL mode with foreign keys on', async () => {
    const path = join(dir, 'nested', 'deeper', 'store.db');
    const store = await openSqliteStore(path);
    await store.createProject(PROJECT);
    const other = new Database(path, { readonly: true });
    try {
      expect(other.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(other.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      other.close();
    }
    await store.close();
  });

  it('refuses a database written by a newer version, saying so', async () => {
    const path = freshFile();
    const db = new Database(path);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    const err = await openSqliteStore(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(
      `schema version ${MIGRATIONS.length + 1}, but this build of CodeFRAME knows only up to version ${MIGRATIONS.length}`,
    );
    expect((err as Error).message).toContain('newer CodeFRAME');
  });

  it('writes appends made in one tick in one transaction', async () => {
    const { db, transactions } = countingDatabase(freshFile());
    const store = storeOnDatabase(db);
    const { id } = await store.createProject(PROJECT);
    const start = transactions();
    const events = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.appendEvent(id, note(i))),
    );
    expect(transactions() - start).toBe(1);
    expect(events.at(-1)?.seq).toBe(1000n);
    expect(await store.readEvents(id, 0n, 2000)).toHaveLength(1000);

    // The next tick is the next batch.
    await store.appendEvent(id, note(1000));
    await store.appendEvent(id, note(1001));
    expect(transactions() - start).toBe(3);
    await store.close();
  });

  it('rejects every append of a batch that fails to commit, and reuses none of its seqs', async () => {
    const path = freshFile();
    const store = await openSqliteStore(path);
    const { id } = await store.createProject(PROJECT);
    const saboteur = new Database(path);
    saboteur.exec(`CREATE TRIGGER refuse_third BEFORE INSERT ON events WHEN NEW.seq = 3
      BEGIN SELECT RAISE(ABORT, 'the disk is full'); END`);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => store.appendEvent(id, note(i))),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    const reason = (results[0] as PromiseRejectedResult).reason as Error;
    expect(reason.message).toContain('could not write a batch of 5 events');
    expect(reason.message).toContain('the disk is full');
    expect(await store.lastSeq(id)).toBe(0n);
    expect(await store.readEvents(id, 0n, 10)).toEqual([]);

    saboteur.exec('DROP TRIGGER refuse_third');
    saboteur.close();
    expect((await store.appendEvent(id, note(9))).seq).toBe(1n);
    await store.close();
  });

  it('writes appends still pending when closed, and refuses calls after', async () => {
    const path = freshFile();
    const store = await openSqliteStore(path);
    const { id } = await store.createProject(PROJECT);
    const pending = store.appendEvent(id, note(1));
    await store.close();
    expect((await pending).seq).toBe(1n);
    await expect(store.getProject(id)).rejects.toThrow('the store was closed');
    await expect(store.appendEvent(id, note(2))).rejects.toThrow('the store was closed');
    await store.close();

    const reopened = await openSqliteStore(path);
    expect(await reopened.lastSeq(id)).toBe(1n);
    await reopened.close();
  });

  it('fails writes on a full database with exhausted, and writes again once there is room', async () => {
    const path = freshFile();
    const db = new Database(path);
    const store = storeOnDatabase(db);
    const { id } = await store.createProject(PROJECT);
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    const big = { ...PROJECT, prd: 'x'.repeat(64 * 1024) };
    const full = await store.createProject(big).catch((e: unknown) => e);
    expect(full).toBeInstanceOf(StoreError);
    expect((full as StoreError).code).toBe('exhausted');
    expect((full as StoreError).message).toMatch(/^the lead's database is full \(SQLITE_FULL\)/);
    const events = Array.from({ length: 200 }, () =>
      store
        .appendEvent(id, {
          case: 'activityUpdate',
          value: create(ActivityUpdateSchema, { message: 'y'.repeat(2000) }),
        })
        .catch((e: unknown) => e),
    );
    const appended = await Promise.all(events);
    expect(appended[0]).toBeInstanceOf(StoreError);
    expect((appended[0] as StoreError).code).toBe('exhausted');
    // Reads still work, and nothing half-written is there.
    expect(await store.lastSeq(id)).toBe(0n);
    db.pragma('max_page_count = 1073741823');
    expect((await store.createProject(big)).prd).toHaveLength(64 * 1024);
    expect((await store.appendEvent(id, note(1))).seq).toBe(1n);
    await store.close();
  });

  it('fails writes with unavailable when the database is locked or read-only', async () => {
    const path = freshFile();
    const db = new Database(path);
    const store = storeOnDatabase(db);
    const { id } = await store.createProject(PROJECT);
    db.pragma('busy_timeout = 50');
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    const busy = await store.setProjectStatus(id, ProjectStatus.RUNNING).catch((e: unknown) => e);
    expect((busy as StoreError).code).toBe('unavailable');
    expect((busy as StoreError).message).toMatch(/locked by another connection \(SQLITE_BUSY\)/);
    const append = await store.appendEvent(id, note(1)).catch((e: unknown) => e);
    expect((append as StoreError).code).toBe('unavailable');
    holder.exec('ROLLBACK');
    holder.close();
    expect((await store.appendEvent(id, note(2))).seq).toBe(1n);
    await store.close();

    const readonly = storeOnDatabase(new Database(path, { readonly: true, fileMustExist: true }));
    const refused = await readonly.createProject(PROJECT).catch((e: unknown) => e);
    expect((refused as StoreError).code).toBe('unavailable');
    expect((refused as StoreError).message).toMatch(/read-only \(SQLITE_READONLY/);
    await readonly.close();
  });
});

describe('checkpoints of the event log', () => {
  it('are made by a thread of their own, never in a commit, and the WAL is gone after close', async () => {
    const path = freshFile();
    const db = new Database(path);
    const store = storeOnDatabase(db);
    // The store's commits no longer checkpoint (SQLite's default is 1,000 pages).
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    const { id } = await store.createProject(PROJECT);
    const before = statSync(path).size;
    // About 4 MB of events, past the 1,000 pages at which a commit would have checkpointed.
    for (let batch = 0; batch < 20; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, () =>
          store.appendEvent(id, {
            case: 'activityUpdate',
            value: create(ActivityUpdateSchema, { message: 'x'.repeat(2000) }),
          }),
        ),
      );
    }
    // The thread copied the WAL into the database file.
    await expect.poll(() => statSync(path).size, { timeout: 10_000 }).toBeGreaterThan(before + 4e6);
    expect(await store.lastSeq(id)).toBe(2000n);
    await store.close();
    // The thread's connection closed first, so the store's was the last and ended the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = new Database(path, { readonly: true });
    expect(reopened.prepare('SELECT count(*) FROM events').pluck().get()).toBe(2000);
    reopened.close();
  });

  it('go back to the commits when the thread cannot run, and say why', async () => {
    const path = freshFile();
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // The file is no longer where the connection opened it: the thread cannot open it.
    renameSync(path, `${path}.moved`);
    const checkpointer = new SqliteCheckpointer(db);
    await checkpointer.stopped;
    expect(checkpointer.lastFailure).toMatch(/^the checkpoint thread failed: /);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await checkpointer.close();
    db.close();
  });
});
