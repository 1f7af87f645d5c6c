// The SQLite schema as an ordered list of steps. Step n brings a database from
// user_version n-1 to n; a step is never edited once released, only new steps appended,
// so any older file can be brought forward and a newer one is recognised and refused.
import type { Database } from 'better-sqlite3';
import { StoreError } from './store.js';

// Usage totals live as columns on the row they total: every project read needs them and a
// separate table would only add a join.
const USAGE_COLUMNS = `
  input_tokens INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cache_read_input_tokens INTEGER NOT NULL DEFAULT 0,
  cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
  cost_usd REAL NOT NULL DEFAULT 0,
  calls INTEGER NOT NULL DEFAULT 0,
  unpriced INTEGER NOT NULL DEFAULT 0`;

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema. Times are milliseconds since the epoch; enums are their numbers.
  `
  CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    prd TEXT NOT NULL,
    repo_url TEXT NOT NULL,
    status INTEGER NOT NULL,
    budget_usd REAL NOT NULL,
    max_concurrency INTEGER NOT NULL,
    -- The last seq handed out. Kept here rather than read as MAX(seq) so a seq is never
    -- reused, even if old events are ever pruned.
    last_seq INTEGER NOT NULL DEFAULT 0,
    ${USAGE_COLUMNS},
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  CREATE TABLE tasks (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    key TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    kind INTEGER NOT NULL,
    acceptance_criteria TEXT NOT NULL, -- JSON array of strings
    status INTEGER NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0,
    worker TEXT NOT NULL DEFAULT '',
    branch TEXT NOT NULL,
    commit_sha TEXT NOT NULL DEFAULT '',
    merge_sha TEXT NOT NULL DEFAULT '',
    tests BLOB, -- protobuf-binary TestSummary
    error TEXT NOT NULL DEFAULT '',
    ${USAGE_COLUMNS},
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (project_id, key),
    UNIQUE (project_id, position)
  );

  CREATE TABLE task_dependencies (
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    depends_on_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (task_id, depends_on_id)
  );
  CREATE INDEX task_dependencies_depends_on ON task_dependencies (depends_on_id);

  CREATE TABLE attempts (
    id TEXT PRIMARY KEY,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    worker TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    outcome TEXT,
    error TEXT,
    UNIQUE (task_id, number)
  );

  CREATE TABLE blockers (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    status INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    resolved_at INTEGER
  );
  CREATE INDEX blockers_project ON blockers (project_id, status);

  CREATE TABLE events (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    time INTEGER NOT NULL,
    type TEXT NOT NULL, -- the payload's case, e.g. "taskStatusChanged"
    payload BLOB NOT NULL, -- the whole protobuf-binary Event, seq and time included
    PRIMARY KEY (project_id, seq)
  ) WITHOUT ROWID;
  `,
  // 2: a repository is one project's (repo_key, its canonical identity, is unique), and the
  // credentials a repository URL came with live apart from the project, never in its row.
  `
  ALTER TABLE projects ADD COLUMN repo_key TEXT;
  CREATE UNIQUE INDEX projects_repo_key ON projects (repo_key) WHERE repo_key IS NOT NULL;

  CREATE TABLE repo_credentials (
    project_id TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    password TEXT NOT NULL
  );
  `,
  // 3: memory across attempts. An attempt keeps what a retry needs (its last failing test
  // output, the branch its work was kept on); a task what it delivered to its dependents.
  `
  ALTER TABLE attempts ADD COLUMN test_output TEXT;
  ALTER TABLE attempts ADD COLUMN branch TEXT;
  ALTER TABLE tasks ADD COLUMN summary TEXT NOT NULL DEFAULT '';
  ALTER TABLE tasks ADD COLUMN files_changed TEXT NOT NULL DEFAULT '[]'; -- JSON array of paths
  `,
  // 4: a project can wait on a blocker of its own (its budget is spent), with no task.
  `
  CREATE TABLE blockers_new (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id TEXT REFERENCES tasks (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    status INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    resolved_at INTEGER
  );
  INSERT INTO blockers_new SELECT id, project_id, task_id, question, answer, status,
    created_at, resolved_at FROM blockers;
  DROP TABLE blockers;
  ALTER TABLE blockers_new RENAME TO blockers;
  CREATE INDEX blockers_project ON blockers (project_id, status);
  `,
  // 5: a project says whether its tasks are reviewed before they merge; an attempt the
  // review sent back keeps what the review asked for, for the next attempt.
  `
  ALTER TABLE projects ADD COLUMN review INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE attempts ADD COLUMN review TEXT;
  `,
  // 6: the latest result of each quality gate a task ran (lint, typecheck, skipped tests).
  `
  ALTER TABLE tasks ADD COLUMN gates TEXT NOT NULL DEFAULT '[]'; -- JSON array of QualityGate
  `,
];

/** Connection settings every open needs; WAL lets readers run beside the one writer. */
export function configure(db: Database): void {
  db.pragma('journal_mode = WAL');
  // NORMAL under WAL can lose the last commits on power loss but never corrupts the file.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

/** Applies the steps this file is missing, each in its own transaction. */
export function migrate(db: Database, path: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StoreError(
      'invalid',
      `the database ${path} has schema version ${current}, but this build of CodeFRAME knows ` +
        `only up to version ${MIGRATIONS.length}: it was written by a newer CodeFRAME. ` +
        'Upgrade CodeFRAME, or point it at another data directory.',
    );
  }
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      // user_version lives in the file header and rolls back with the transaction.
      db.pragma(`user_version = ${version}`);
    })();
  }
}
