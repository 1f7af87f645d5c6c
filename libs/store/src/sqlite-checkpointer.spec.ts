import { existsSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { ActivityUpdateSchema } from '@codeframe/proto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { storeOnDatabase } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-checkpointer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROJECT = {
  name: 'p',
  prd: '# P',
  repoUrl: 'file:///p.git',
  budgetUsd: 0,
  maxConcurrency: 0,
};

describe('checkpoints of the event log', () => {
  it('are made by a thread of their own, never in a commit, and the WAL is gone after close', async () => {
    const path = join(dir, 'events.db');
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
    const path = join(dir, 'moved.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    // The file is no longer where the connection opened it: the thread cannot open it.
    renameSync(path, join(dir, 'elsewhere.db'));
    const checkpointer = new SqliteCheckpointer(db);
    await checkpointer.stopped;
    expect(checkpointer.lastFailure).toMatch(/^the checkpoint thread failed: /);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await checkpointer.close();
    db.close();
  });
});
