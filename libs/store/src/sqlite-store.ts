// The Store on one SQLite file. better-sqlite3 is synchronous, which suits a single lead
// process: each call finishes its statements before returning, and the async interface is
// kept only so a networked database can implement the same Store.
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { UsageTotals } from '@codeframe/proto';
import { type Project, ProjectStatus } from '@codeframe/proto';
import Database from 'better-sqlite3';
import { PROJECT_SELECT, type ProjectRow, toProject } from './rows.js';
import { SqliteBlockers } from './sqlite-blockers.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { SqliteEventLog } from './sqlite-event-log.js';
import { configure, migrate } from './sqlite-schema.js';
import { Statements } from './sqlite-statements.js';
import { SqliteTasks } from './sqlite-tasks.js';
import { addUsage } from './sqlite-usage.js';
import {
  type NewProject,
  notFound,
  type RepoCredentials,
  type Store,
  StoreError,
} from './store.js';

/** Opens (creating it and its directory if need be) the store at path; ':memory:' works. */
export async function openSqliteStore(path: string): Promise<Store> {
  if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
  return storeOnDatabase(new Database(path));
}

/** The store on an open connection, configured and migrated; closes it if that fails. */
export function storeOnDatabase(db: Database.Database): Store {
  try {
    configure(db);
    migrate(db, db.name);
  } catch (err) {
    db.close();
    throw err;
  }
  return new SqliteStore(new Statements(db));
}

class SqliteStore implements Store {
  private readonly tasks: SqliteTasks;
  private readonly blockers: SqliteBlockers;
  private readonly events: SqliteEventLog;
  /** For a file written through this connection (not ':memory:', not read-only). */
  private readonly checkpointer: SqliteCheckpointer | undefined;

  constructor(private readonly sql: Statements) {
    this.tasks = new SqliteTasks(sql);
    this.blockers = new SqliteBlockers(sql);
    this.events = new SqliteEventLog(sql.db);
    const { db } = sql;
    if (!db.memory && !db.readonly) this.checkpointer = new SqliteCheckpointer(db);
  }

  async createProject(input: NewProject): Promise<Project> {
    const id = input.id ?? randomUUID();
    const now = Date.now();
    const owner = input.repoKey
      ? this.sql.one<{ id: string }>('SELECT id FROM projects WHERE repo_key = ?', input.repoKey)
      : undefined;
    if (owner) throw repoTaken(owner.id);
    try {
      this.sql.transaction(() => {
        this.sql.run(
          `INSERT INTO projects (id, name, prd, repo_url, repo_key, status, budget_usd,
             max_concurrency, review, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          id,
          input.name,
          input.prd,
          input.repoUrl,
          input.repoKey ?? null,
          ProjectStatus.CREATED,
          input.budgetUsd,
          input.maxConcurrency,
          input.review === false ? 0 : 1,
          now,
          now,
        );
        const credentials = input.repoCredentials;
        if (credentials) {
          this.sql.run(
            'INSERT INTO repo_credentials (project_id, username, password) VALUES (?, ?, ?)',
            id,
            credentials.username,
            credentials.password,
          );
        }
      });
    } catch (err) {
      // Another call took the key between the check and the insert.
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE' || !input.repoKey)
        throw err;
      const taken = this.sql.one<{ id: string }>(
        'SELECT id FROM projects WHERE repo_key = ?',
        input.repoKey,
      );
      throw repoTaken(taken?.id ?? '?');
    }
    return this.project(id);
  }

  async getRepoCredentials(projectId: string): Promise<RepoCredentials | undefined> {
    return this.sql.one<RepoCredentials>(
      'SELECT username, password FROM repo_credentials WHERE project_id = ?',
      projectId,
    );
  }

  async getProject(id: string): Promise<Project | undefined> {
    const row = this.sql.one<ProjectRow>(`${PROJECT_SELECT} WHERE p.id = ?`, id);
    return row && toProject(row);
  }

  async listProjects(): Promise<Project[]> {
    const rows = this.sql.all<ProjectRow>(`${PROJECT_SELECT} ORDER BY p.created_at, p.rowid`);
    return rows.map(toProject);
  }

  async setProjectStatus(id: string, status: ProjectStatus): Promise<Project> {
    const changed = this.sql.run(
      'UPDATE projects SET status = ?, updated_at = ? WHERE id = ?',
      status,
      Date.now(),
      id,
    );
    if (changed === 0) throw notFound('project', id);
    return this.project(id);
  }

  async setProjectBudget(id: string, budgetUsd: number): Promise<Project> {
    const changed = this.sql.run(
      'UPDATE projects SET budget_usd = ?, updated_at = ? WHERE id = ?',
      budgetUsd,
      Date.now(),
      id,
    );
    if (changed === 0) throw notFound('project', id);
    return this.project(id);
  }

  savePlan = async (...args: Parameters<SqliteTasks['savePlan']>) => this.tasks.savePlan(...args);
  listTasks = async (projectId: string) => this.tasks.list(projectId);
  countTasksByStatus = async () => this.tasks.countByStatus();
  getTask = async (id: string) => this.tasks.get(id);
  updateTask = async (...args: Parameters<SqliteTasks['update']>) => this.tasks.update(...args);
  startAttempt = async (...args: Parameters<SqliteTasks['startAttempt']>) =>
    this.tasks.startAttempt(...args);
  finishAttempt = async (...args: Parameters<SqliteTasks['finishAttempt']>) =>
    this.tasks.finishAttempt(...args);
  setAttemptBranch = async (...args: Parameters<SqliteTasks['setAttemptBranch']>) =>
    this.tasks.setAttemptBranch(...args);
  listAttempts = async (taskId: string) => this.tasks.listAttempts(taskId);

  createBlocker = async (...args: Parameters<SqliteBlockers['create']>) =>
    this.blockers.create(...args);
  answerBlocker = async (...args: Parameters<SqliteBlockers['answer']>) =>
    this.blockers.answer(...args);
  getBlocker = async (id: string) => this.blockers.get(id);
  listBlockers = async (...args: Parameters<SqliteBlockers['list']>) => this.blockers.list(...args);

  async addUsage(projectId: string, taskId: string | undefined, delta: UsageTotals): Promise<void> {
    addUsage(this.sql, projectId, taskId, delta);
  }

  appendEvent = (...args: Parameters<SqliteEventLog['append']>) => this.events.append(...args);
  readEvents = async (...args: Parameters<SqliteEventLog['read']>) => this.events.read(...args);
  lastSeq = async (projectId: string) => this.events.lastSeq(projectId);

  /** One lead owns everything in its own file: nothing to hold. */
  underLease<T>(_projectId: string, work: () => Promise<T>): Promise<T> {
    return work();
  }

  async close(): Promise<void> {
    if (!this.sql.db.open) return;
    await this.events.drain();
    // The thread's connection closes first, so this one is the last and ends the WAL.
    await this.checkpointer?.close();
    this.sql.db.close();
  }

  /** The project, or not_found. */
  private project(id: string): Project {
    const row = this.sql.one<ProjectRow>(`${PROJECT_SELECT} WHERE p.id = ?`, id);
    if (!row) throw notFound('project', id);
    return toProject(row);
  }
}

const repoTaken = (projectId: string) =>
  new StoreError(
    'conflict',
    `the repository is already the repository of project "${projectId}"; give each project its own`,
  );
