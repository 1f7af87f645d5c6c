// The Store on PostgreSQL, for leads that share one database (CODEFRAME_DATABASE_URL). Every
// call is a query or a transaction on a small pool; the columns and their meaning are those
// of the SQLite store, and both pass the same contract suite (store.contract.ts).
import { randomUUID } from 'node:crypto';
import { type Project, ProjectStatus, USAGE_AMOUNTS, type UsageTotals } from '@codeframe/proto';
import { PgBlockers } from './pg-blockers.js';
import { PgEventLog } from './pg-event-log.js';
import { DB_NOW, type LeaseSettings, PgLeases, type ProjectOf } from './pg-leases.js';
import { migratePg } from './pg-schema.js';
import { PgSql } from './pg-sql.js';
import { PgTasks } from './pg-tasks.js';
import { PROJECT_SELECT, type ProjectRow, toProject } from './rows.js';
import {
  type NewProject,
  notFound,
  type RepoCredentials,
  type Store,
  StoreError,
} from './store.js';
import { checkUsageAmounts } from './usage-check.js';

export interface PgStoreOptions {
  /** Set when several leads share the database: this lead's leases of projects. */
  lease?: LeaseSettings;
}

/** Connects to the database of url (postgres://…), bringing its schema up to date. */
export async function openPgStore(url: string, options: PgStoreOptions = {}): Promise<Store> {
  const sql = new PgSql(url);
  try {
    await migratePg(sql, redacted(url));
  } catch (err) {
    await sql.close();
    throw err;
  }
  return new PgStore(sql, options.lease && new PgLeases(sql, url, options.lease));
}

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'given by CODEFRAME_DATABASE_URL';
  }
}

class PgStore implements Store {
  private readonly tasks: PgTasks;
  private readonly blockers: PgBlockers;
  private readonly events: PgEventLog;

  constructor(
    private readonly sql: PgSql,
    readonly leases?: PgLeases,
  ) {
    this.tasks = new PgTasks(sql);
    this.blockers = new PgBlockers(sql);
    this.events = new PgEventLog(sql, leases);
  }

  /** work as the owner of the row's project: in one transaction with the lease checked. */
  #fenced<T>(of: ProjectOf, work: () => Promise<T>): Promise<T> {
    const leases = this.leases;
    if (!leases) return work();
    return this.sql.transaction(async () => {
      await leases.check(of);
      return work();
    });
  }

  underLease<T>(projectId: string, work: () => Promise<T>): Promise<T> {
    const leases = this.leases;
    if (!leases) return work();
    // The row stays locked FOR SHARE until work settles; work's own queries, if any, are not
    // part of this transaction.
    return this.sql.transaction(async () => {
      await leases.check({ project: projectId });
      return this.sql.detached(work);
    });
  }

  async createProject(input: NewProject): Promise<Project> {
    const id = input.id ?? randomUUID();
    const now = Date.now();
    let committed = false;
    this.leases?.creating(id);
    try {
      await this.sql.transaction(async (tx) => {
        // With leases, the lead that creates a project owns it from the start.
        const leases = this.leases;
        await tx.run(
          `INSERT INTO projects (id, name, prd, repo_url, repo_key, status, budget_usd,
             max_concurrency, review, created_at, updated_at
             ${leases ? ', lease_owner, lease_token, lease_expires_at' : ''})
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10
             ${leases ? `, $11, 1, ${DB_NOW} + $12` : ''})`,
          [
            id,
            input.name,
            input.prd,
            input.repoUrl,
            input.repoKey ?? null,
            ProjectStatus.CREATED,
            input.budgetUsd,
            input.maxConcurrency,
            input.review !== false,
            now,
            ...(leases ? [leases.holder, leases.ttlMs] : []),
          ],
        );
        const credentials = input.repoCredentials;
        if (credentials) {
          await tx.run(
            'INSERT INTO repo_credentials (project_id, username, password) VALUES ($1, $2, $3)',
            [id, credentials.username, credentials.password],
          );
        }
      });
      committed = true;
    } catch (err) {
      if ((err as { code?: string }).code !== '23505' || !input.repoKey) throw err;
      const owner = await this.sql.one<{ id: string }>(
        'SELECT id FROM projects WHERE repo_key = $1',
        [input.repoKey],
      );
      throw new StoreError(
        'conflict',
        `the repository is already the repository of project "${owner?.id ?? '?'}"; give each project its own`,
      );
    } finally {
      this.leases?.created(id, committed);
    }
    return this.project(id);
  }

  getRepoCredentials(projectId: string): Promise<RepoCredentials | undefined> {
    return this.sql.one<RepoCredentials>(
      'SELECT username, password FROM repo_credentials WHERE project_id = $1',
      [projectId],
    );
  }

  async getProject(id: string): Promise<Project | undefined> {
    const row = await this.sql.one<ProjectRow>(`${PROJECT_SELECT} WHERE p.id = $1`, [id]);
    return row && toProject(row);
  }

  async listProjects(): Promise<Project[]> {
    const rows = await this.sql.all<ProjectRow>(
      `${PROJECT_SELECT} ORDER BY p.created_at, p.ordinal`,
    );
    return rows.map(toProject);
  }

  setProjectStatus(id: string, status: ProjectStatus): Promise<Project> {
    return this.#fenced({ project: id }, async () => {
      const changed = await this.sql.run(
        'UPDATE projects SET status = $1, updated_at = $2 WHERE id = $3',
        [status, Date.now(), id],
      );
      if (changed === 0) throw notFound('project', id);
      return this.project(id);
    });
  }

  setProjectBudget(id: string, budgetUsd: number): Promise<Project> {
    return this.#fenced({ project: id }, async () => {
      const changed = await this.sql.run(
        'UPDATE projects SET budget_usd = $1, updated_at = $2 WHERE id = $3',
        [budgetUsd, Date.now(), id],
      );
      if (changed === 0) throw notFound('project', id);
      return this.project(id);
    });
  }

  savePlan = (...args: Parameters<PgTasks['savePlan']>) =>
    this.#fenced({ project: args[0] }, () => this.tasks.savePlan(...args));
  listTasks = (projectId: string) => this.tasks.list(projectId);
  countTasksByStatus = () => this.tasks.countByStatus();
  getTask = (id: string) => this.tasks.get(id);
  updateTask = (...args: Parameters<PgTasks['update']>) =>
    this.#fenced({ task: args[0] }, () => this.tasks.update(...args));
  startAttempt = (...args: Parameters<PgTasks['startAttempt']>) =>
    this.#fenced({ task: args[0] }, () => this.tasks.startAttempt(...args));
  finishAttempt = (...args: Parameters<PgTasks['finishAttempt']>) =>
    this.#fenced({ attempt: args[0] }, () => this.tasks.finishAttempt(...args));
  setAttemptBranch = (...args: Parameters<PgTasks['setAttemptBranch']>) =>
    this.#fenced({ attempt: args[0] }, () => this.tasks.setAttemptBranch(...args));
  listAttempts = (taskId: string) => this.tasks.listAttempts(taskId);

  createBlocker = (...args: Parameters<PgBlockers['create']>) =>
    this.#fenced({ project: args[0] }, () => this.blockers.create(...args));
  answerBlocker = (...args: Parameters<PgBlockers['answer']>) =>
    this.#fenced({ blocker: args[0] }, () => this.blockers.answer(...args));
  getBlocker = (id: string) => this.blockers.get(id);
  listBlockers = (...args: Parameters<PgBlockers['list']>) => this.blockers.list(...args);

  async addUsage(projectId: string, taskId: string | undefined, delta: UsageTotals): Promise<void> {
    checkUsageAmounts(delta);
    await this.#fenced({ project: projectId }, () => this.#addUsage(projectId, taskId, delta));
  }

  async #addUsage(projectId: string, taskId: string | undefined, delta: UsageTotals) {
    const amounts = [...USAGE_AMOUNTS.map((field) => delta[field]), delta.unpriced];
    const add = (
      tx: { run(text: string, values: unknown[]): Promise<number> },
      table: string,
      where: string,
      ids: string[],
    ) =>
      tx.run(
        `UPDATE ${table} SET
           input_tokens = input_tokens + $1,
           output_tokens = output_tokens + $2,
           cache_read_input_tokens = cache_read_input_tokens + $3,
           cache_creation_input_tokens = cache_creation_input_tokens + $4,
           cost_usd = cost_usd + $5,
           calls = calls + $6,
           unpriced = unpriced OR $7
         WHERE ${where}`,
        [...amounts, ...ids],
      );
    await this.sql.transaction(async (tx) => {
      if ((await add(tx, 'projects', 'id = $8', [projectId])) === 0) {
        throw notFound('project', projectId);
      }
      if (
        taskId !== undefined &&
        (await add(tx, 'tasks', 'id = $8 AND project_id = $9', [taskId, projectId])) === 0
      ) {
        throw new StoreError(
          'not_found',
          `task "${taskId}" does not exist in project "${projectId}"`,
        );
      }
    });
  }

  appendEvent = (...args: Parameters<PgEventLog['append']>) => this.events.append(...args);
  readEvents = (...args: Parameters<PgEventLog['read']>) => this.events.read(...args);
  lastSeq = (projectId: string) => this.events.lastSeq(projectId);

  async close(): Promise<void> {
    if (this.sql.closed) return;
    await this.events.drain();
    await this.sql.close();
  }

  /** The project, or not_found. */
  private async project(id: string): Promise<Project> {
    const project = await this.getProject(id);
    if (!project) throw notFound('project', id);
    return project;
  }
}
