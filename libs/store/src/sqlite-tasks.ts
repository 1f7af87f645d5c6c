// Plans, tasks and their attempts in SQLite.
import { randomUUID } from 'node:crypto';
import { type Task, TaskStatus } from '@codeframe/proto';
import { assertStorablePlan } from './plan-validation.js';
import {
  type AttemptRow,
  newAttemptRow,
  patchAssignments,
  type TaskRow,
  toAttempt,
  toTask,
} from './rows.js';
import { requireProject, type Statements } from './sqlite-statements.js';
import {
  type Attempt,
  type AttemptEnd,
  notFound,
  type PlannedTask,
  StoreError,
  type TaskPatch,
} from './store.js';

export class SqliteTasks {
  constructor(private readonly sql: Statements) {}

  savePlan(projectId: string, planned: PlannedTask[]): Task[] {
    assertStorablePlan(planned);
    return this.sql.transaction(() => {
      requireProject(this.sql, projectId);
      const started = this.sql.one<{ key: string }>(
        'SELECT key FROM tasks WHERE project_id = ? AND (status != ? OR attempt > 0) ORDER BY position LIMIT 1',
        projectId,
        TaskStatus.PENDING,
      );
      if (started) {
        throw new StoreError(
          'conflict',
          `the plan of project "${projectId}" cannot be replaced: task "${started.key}" has already started`,
        );
      }
      // Cascades to the old plan's dependencies (no attempts or blockers exist before a start).
      this.sql.run('DELETE FROM tasks WHERE project_id = ?', projectId);
      const now = Date.now();
      const ids = new Map(planned.map((task) => [task.key, randomUUID()]));
      planned.forEach((task, position) => {
        const id = ids.get(task.key)!;
        this.sql.run(
          `INSERT INTO tasks (id, project_id, position, key, title, description, kind,
             acceptance_criteria, status, branch, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          id,
          projectId,
          position,
          task.key,
          task.title,
          task.description,
          task.kind,
          JSON.stringify(task.acceptanceCriteria),
          TaskStatus.PENDING,
          `task/${id}`,
          now,
          now,
        );
      });
      for (const task of planned) {
        task.dependsOn.forEach((key, position) => {
          this.sql.run(
            'INSERT INTO task_dependencies (task_id, depends_on_id, position) VALUES (?, ?, ?)',
            ids.get(task.key),
            ids.get(key),
            position,
          );
        });
      }
      this.sql.run('UPDATE projects SET updated_at = ? WHERE id = ?', now, projectId);
      return this.list(projectId);
    });
  }

  countByStatus(): Map<TaskStatus, number> {
    const rows = this.sql.all<{ status: number; n: number }>(
      'SELECT status, COUNT(*) AS n FROM tasks GROUP BY status',
    );
    return new Map(rows.map((r) => [r.status as TaskStatus, Number(r.n)]));
  }

  list(projectId: string): Task[] {
    requireProject(this.sql, projectId);
    const rows = this.sql.all<TaskRow>(
      'SELECT * FROM tasks WHERE project_id = ? ORDER BY position',
      projectId,
    );
    const deps = new Map<string, string[]>();
    const edges = this.sql.all<{ task_id: string; depends_on_id: string }>(
      `SELECT d.task_id, d.depends_on_id FROM task_dependencies d
       JOIN tasks t ON t.id = d.task_id WHERE t.project_id = ? ORDER BY d.task_id, d.position`,
      projectId,
    );
    for (const edge of edges) {
      const list = deps.get(edge.task_id) ?? [];
      list.push(edge.depends_on_id);
      deps.set(edge.task_id, list);
    }
    return rows.map((row) => toTask(row, deps.get(row.id) ?? []));
  }

  get(id: string): Task | undefined {
    const row = this.sql.one<TaskRow>('SELECT * FROM tasks WHERE id = ?', id);
    if (!row) return undefined;
    const deps = this.sql.all<{ depends_on_id: string }>(
      'SELECT depends_on_id FROM task_dependencies WHERE task_id = ? ORDER BY position',
      id,
    );
    return toTask(
      row,
      deps.map((d) => d.depends_on_id),
    );
  }

  update(id: string, patch: TaskPatch): Task {
    const sets = patchAssignments(patch);
    const changed = this.sql.run(
      `UPDATE tasks SET ${sets.map(([column]) => `${column} = ?`).join(', ')} WHERE id = ?`,
      ...sets.map(([, value]) => value),
      id,
    );
    if (changed === 0) throw notFound('task', id);
    return this.get(id)!;
  }

  startAttempt(taskId: string, worker: string): Attempt {
    return this.sql.transaction(() => {
      if (!this.sql.one('SELECT 1 FROM tasks WHERE id = ?', taskId)) throw notFound('task', taskId);
      const { previous } = this.sql.one<{ previous: number }>(
        'SELECT COALESCE(MAX(number), 0) AS previous FROM attempts WHERE task_id = ?',
        taskId,
      )!;
      const row = newAttemptRow(taskId, previous + 1, worker);
      this.sql.run(
        'INSERT INTO attempts (id, task_id, number, worker, started_at) VALUES (?, ?, ?, ?, ?)',
        row.id,
        taskId,
        row.number,
        worker,
        row.started_at,
      );
      this.sql.run(
        'UPDATE tasks SET attempt = ?, worker = ?, updated_at = ? WHERE id = ?',
        row.number,
        worker,
        row.started_at,
        taskId,
      );
      return toAttempt(row);
    });
  }

  finishAttempt(attemptId: string, outcome: string, end: AttemptEnd = {}): void {
    const row = this.sql.one<AttemptRow>('SELECT * FROM attempts WHERE id = ?', attemptId);
    if (!row) throw notFound('attempt', attemptId);
    if (row.ended_at !== null) {
      throw new StoreError(
        'conflict',
        `attempt "${attemptId}" was already finished with outcome "${row.outcome}"`,
      );
    }
    this.sql.run(
      'UPDATE attempts SET ended_at = ?, outcome = ?, error = ?, test_output = ?, review = ? WHERE id = ?',
      Date.now(),
      outcome,
      end.error ?? null,
      end.testOutput ?? null,
      end.review ?? null,
      attemptId,
    );
  }

  setAttemptBranch(attemptId: string, branch: string): void {
    const changed = this.sql.run('UPDATE attempts SET branch = ? WHERE id = ?', branch, attemptId);
    if (changed === 0) throw notFound('attempt', attemptId);
  }

  listAttempts(taskId: string): Attempt[] {
    if (!this.sql.one('SELECT 1 FROM tasks WHERE id = ?', taskId)) throw notFound('task', taskId);
    return this.sql
      .all<AttemptRow>('SELECT * FROM attempts WHERE task_id = ? ORDER BY number', taskId)
      .map(toAttempt);
  }
}
