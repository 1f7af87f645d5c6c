// The PostgreSQL schema as an ordered list of steps, as for SQLite (sqlite-schema.ts): step n
// brings a database from version n-1 to n, a released step is never edited, and a database a
// newer CodeFRAME wrote is refused. The columns are SQLite's, so both stores read the same
// rows (rows.ts); `ordinal` keeps insertion order where SQLite has its rowid.
import type { PgSql } from './pg-sql.js';
import { StoreError } from './store.js';

const USAGE_COLUMNS = `
  input_tokens BIGINT NOT NULL DEFAULT 0,
  output_tokens BIGINT NOT NULL DEFAULT 0,
  cache_read_input_tokens BIGINT NOT NULL DEFAULT 0,
  cache_creation_input_tokens BIGINT NOT NULL DEFAULT 0,
  cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
  calls BIGINT NOT NULL DEFAULT 0,
  unpriced BOOLEAN NOT NULL DEFAULT false`;

export const PG_MIGRATIONS: readonly string[] = [
  // 1: the schema of SQLite's version 6. Times are milliseconds since the epoch.
  `
  CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    ordinal BIGINT GENERATED ALWAYS AS IDENTITY,
    name TEXT NOT NULL,
    prd TEXT NOT NULL,
    repo_url TEXT NOT NULL,
    repo_key TEXT UNIQUE,
    status INTEGER NOT NULL,
    budget_usd DOUBLE PRECISION NOT NULL,
    max_concurrency INTEGER NOT NULL,
    review BOOLEAN NOT NULL DEFAULT true,
    -- The last seq handed out; appends lock this row, so writers in any number of
    -- processes take turns and a seq is never skipped or reused.
    last_seq BIGINT NOT NULL DEFAULT 0,
    ${USAGE_COLUMNS},
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE repo_credentials (
    project_id TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    password TEXT NOT NULL
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
    tests BYTEA, -- protobuf-binary TestSummary
    error TEXT NOT NULL DEFAULT '',
    summary TEXT NOT NULL DEFAULT '',
    files_changed TEXT NOT NULL DEFAULT '[]', -- JSON array of paths
    gates TEXT NOT NULL DEFAULT '[]', -- JSON array of QualityGate
    ${USAGE_COLUMNS},
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
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
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    outcome TEXT,
    error TEXT,
    test_output TEXT,
    branch TEXT,
    review TEXT,
    UNIQUE (task_id, number)
  );

  CREATE TABLE blockers (
    id TEXT PRIMARY KEY,
    ordinal BIGINT GENERATED ALWAYS AS IDENTITY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id TEXT REFERENCES tasks (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    status INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    resolved_at BIGINT
  );
  CREATE INDEX blockers_project ON blockers (project_id, status);

  CREATE TABLE events (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    time BIGINT NOT NULL,
    type TEXT NOT NULL, -- the payload's case, e.g. "taskStatusChanged"
    payload BYTEA NOT NULL, -- the whole protobuf-binary Event, seq and time included
    PRIMARY KEY (project_id, seq)
  );
  `,
  // 2: several leads on one database. Each project is owned by one lead at a time through a
  // lease: the owner's id, a fencing token that every claim increments (every write of the
  // owner checks it), and when the lease runs out (database time, ms). Each lead says where
  // the others reach it, for calls about a project it owns.
  `
  ALTER TABLE projects
    ADD COLUMN lease_owner TEXT,
    ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN lease_expires_at BIGINT NOT NULL DEFAULT 0;

  CREATE TABLE leads (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    seen_at BIGINT NOT NULL
  );
  `,
];

// Any constant will do: it only has to be the same for every CodeFRAME on the database.
const MIGRATION_LOCK = 0x636f_6465_6672;

/** Applies the steps the database is missing; leads starting at once take turns. */
export async function migratePg(sql: PgSql, where: string): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.run('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.run('CREATE TABLE IF NOT EXISTS codeframe_schema (version INTEGER NOT NULL)');
    const row = await tx.one<{ version: number }>('SELECT version FROM codeframe_schema');
    const current = row?.version ?? 0;
    if (current > PG_MIGRATIONS.length) {
      throw new StoreError(
        'invalid',
        `the database ${where} has schema version ${current}, but this build of CodeFRAME knows ` +
          `only up to version ${PG_MIGRATIONS.length}: it was written by a newer CodeFRAME. ` +
          'Upgrade CodeFRAME, or point it at another database.',
      );
    }
    for (let version = current + 1; version <= PG_MIGRATIONS.length; version++) {
      await tx.run(PG_MIGRATIONS[version - 1]!);
    }
    if (!row)
      await tx.run('INSERT INTO codeframe_schema (version) VALUES ($1)', [PG_MIGRATIONS.length]);
    else await tx.run('UPDATE codeframe_schema SET version = $1', [PG_MIGRATIONS.length]);
  });
}
