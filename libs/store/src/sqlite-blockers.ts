// Questions tasks ask humans, in SQLite.
import { randomUUID } from 'node:crypto';
import { type Blocker, BlockerStatus } from '@codeframe/proto';
import { type BlockerRow, toBlocker } from './rows.js';
import { requireProject, type Statements } from './sqlite-statements.js';
import { notFound, StoreError } from './store.js';

export class SqliteBlockers {
  constructor(private readonly sql: Statements) {}

  create(projectId: string, taskId: string, question: string): Blocker {
    requireProject(this.sql, projectId);
    if (
      taskId &&
      !this.sql.one('SELECT 1 FROM tasks WHERE id = ? AND project_id = ?', taskId, projectId)
    ) {
      throw new StoreError(
        'not_found',
        `task "${taskId}" does not exist in project "${projectId}"`,
      );
    }
    const id = randomUUID();
    this.sql.run(
      `INSERT INTO blockers (id, project_id, task_id, question, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      id,
      projectId,
      taskId || null,
      question,
      BlockerStatus.OPEN,
      Date.now(),
    );
    return this.get(id)!;
  }

  answer(id: string, answer: string): Blocker {
    // Conditional on OPEN so that of two answers racing, exactly one wins.
    const changed = this.sql.run(
      'UPDATE blockers SET answer = ?, status = ?, resolved_at = ? WHERE id = ? AND status = ?',
      answer,
      BlockerStatus.RESOLVED,
      Date.now(),
      id,
      BlockerStatus.OPEN,
    );
    const blocker = this.get(id);
    if (!blocker) throw notFound('blocker', id);
    if (changed === 0) {
      throw new StoreError(
        'conflict',
        `blocker "${id}" was already answered ("${blocker.answer}"); ask a new question instead`,
      );
    }
    return blocker;
  }

  list(projectId: string, includeResolved: boolean): Blocker[] {
    requireProject(this.sql, projectId);
    const rows = this.sql.all<BlockerRow>(
      `SELECT * FROM blockers WHERE project_id = ? AND (? OR status = ?)
       ORDER BY created_at, rowid`,
      projectId,
      includeResolved ? 1 : 0,
      BlockerStatus.OPEN,
    );
    return rows.map(toBlocker);
  }

  get(id: string): Blocker | undefined {
    const row = this.sql.one<BlockerRow>('SELECT * FROM blockers WHERE id = ?', id);
    return row && toBlocker(row);
  }
}
