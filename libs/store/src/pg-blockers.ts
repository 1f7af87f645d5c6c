// Questions tasks ask humans, in PostgreSQL.
import { randomUUID } from 'node:crypto';
import { type Blocker, BlockerStatus } from '@codeframe/proto';
import { type PgSql, requireProject } from './pg-sql.js';
import { type BlockerRow, toBlocker } from './rows.js';
import { notFound, StoreError } from './store.js';

export class PgBlockers {
  constructor(private readonly sql: PgSql) {}

  async create(projectId: string, taskId: string, question: string): Promise<Blocker> {
    await requireProject(this.sql, projectId);
    if (
      taskId &&
      !(await this.sql.one('SELECT 1 FROM tasks WHERE id = $1 AND project_id = $2', [
        taskId,
        projectId,
      ]))
    ) {
      throw new StoreError(
        'not_found',
        `task "${taskId}" does not exist in project "${projectId}"`,
      );
    }
    const row = await this.sql.one<BlockerRow>(
      `INSERT INTO blockers (id, project_id, task_id, question, status, created_at)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [randomUUID(), projectId, taskId || null, question, BlockerStatus.OPEN, Date.now()],
    );
    return toBlocker(row!);
  }

  async answer(id: string, answer: string): Promise<Blocker> {
    // Conditional on OPEN so that of two answers racing, exactly one wins.
    const won = await this.sql.one<BlockerRow>(
      `UPDATE blockers SET answer = $1, status = $2, resolved_at = $3
       WHERE id = $4 AND status = $5 RETURNING *`,
      [answer, BlockerStatus.RESOLVED, Date.now(), id, BlockerStatus.OPEN],
    );
    if (won) return toBlocker(won);
    const blocker = await this.get(id);
    if (!blocker) throw notFound('blocker', id);
    throw new StoreError(
      'conflict',
      `blocker "${id}" was already answered ("${blocker.answer}"); ask a new question instead`,
    );
  }

  async list(projectId: string, includeResolved: boolean): Promise<Blocker[]> {
    await requireProject(this.sql, projectId);
    const rows = await this.sql.all<BlockerRow>(
      `SELECT * FROM blockers WHERE project_id = $1 AND ($2 OR status = $3)
       ORDER BY created_at, ordinal`,
      [projectId, includeResolved, BlockerStatus.OPEN],
    );
    return rows.map(toBlocker);
  }

  async get(id: string): Promise<Blocker | undefined> {
    const row = await this.sql.one<BlockerRow>('SELECT * FROM blockers WHERE id = $1', [id]);
    return row && toBlocker(row);
  }
}
