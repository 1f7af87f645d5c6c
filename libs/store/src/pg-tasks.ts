// Plans, tasks and their attempts in PostgreSQL. What a call reads and then writes runs in
// one transaction with the row it depends on locked, so leads sharing the database cannot
// interleave (two plans saved at once, two attempts given one number).
import { randomUUID } from 'node:crypto';
import { type Task, TaskStatus } from '@codeframe/proto';
import { type PgSql, requireProject } from './pg-sql.js';
import { assertStorablePlan } from './plan-validation.js';
import {
  type AttemptRow,
  newAttemptRow,
  patchAssignments,
  type TaskRow,
  toAttempt,
  toTask,
} from './rows.js';
import {
  type Attempt,
  type AttemptEnd,
  notFound,
  type PlannedTask,
  StoreError,
  type TaskPatch,
} from './store.js';

export class PgTasks {
  constructor(private readonly sql: PgSql) {}

  async savePlan(projectId: string, planned: PlannedTask[]): Promise<Task[]> {
    assertStorablePlan(planned);
    await this.sql.transaction(async (tx) => {
      if (!(await tx.one('SELECT 1 FROM projects WHERE id = $1 FOR UPDATE', [projectId]))) {
        throw notFound('project', projectId);
      }
      const started = await tx.one<{ key: string }>(
        'SELECT key FROM tasks WHERE project_id = $1 AND (status != $2 OR attempt > 0) ORDER BY position LIMIT 1',
        [projectId, TaskStatus.PENDING],
      );
      if (started) {
        throw new StoreError(
          'conflict',
          `the plan of project "${projectId}" cannot be replaced: task "${started.key}" has already started`,
        );
      }
      await tx.run('DELETE FROM tasks WHERE project_id = $1', [projectId]);
      const now = Date.now();
      const ids = new Map(planned.map((task) => [task.key, randomUUID()]));
      if (planned.length > 0) {
        await tx.run(
          `INSERT INTO tasks (id, project_id, position, key, title, description, kind,
             acceptance_criteria, status, branch, created_at, updated_at)
           SELECT id, $2, position - 1, key, title, description, kind, criteria, $3, 'task/' || id, $4, $4
           FROM unnest($1::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::text[])
             WITH ORDINALITY AS p (id, key, title, description, kind, criteria, position)`,
          [
            planned.map((task) => ids.get(task.key)),
            projectId,
            TaskStatus.PENDING,
            now,
            planned.map((task) => task.key),
            planned.map((task) => task.title),
            planned.map((task) => task.description),
            planned.map((task) => task.kind),
            planned.map((task) => JSON.stringify(task.acceptanceCriteria)),
          ],
        );
      }
      const edges = planned.flatMap((task) =>
        task.dependsOn.map(
          (key, position) => [ids.get(task.key)!, ids.get(key)!, position] as const,
        ),
      );
      if (edges.length > 0) {
        await tx.run(
          `INSERT INTO task_dependencies (task_id, depends_on_id, position)
           SELECT * FROM unnest($1::text[], $2::text[], $3::int[])`,
          [edges.map((e) => e[0]), edges.map((e) => e[1]), edges.map((e) => e[2])],
        );
      }
      await tx.run('UPDATE projects SET updated_at = $1 WHERE id = $2', [now, projectId]);
    });
    return this.list(projectId);
  }

  async countByStatus(): Promise<Map<TaskStatus, number>> {
    const rows = await this.sql.all<{ status: number; n: string }>(
      'SELECT status, COUNT(*) AS n FROM tasks GROUP BY status',
      [],
    );
    return new Map(rows.map((r) => [r.status as TaskStatus, Number(r.n)]));
  }

  async list(projectId: string): Promise<Task[]> {
    await requireProject(this.sql, projectId);
    const [rows, edges] = await Promise.all([
      this.sql.all<TaskRow>('SELECT * FROM tasks WHERE project_id = $1 ORDER BY position', [
        projectId,
      ]),
      this.sql.all<{ task_id: string; depends_on_id: string }>(
        `SELECT d.task_id, d.depends_on_id FROM task_dependencies d
         JOIN tasks t ON t.id = d.task_id WHERE t.project_id = $1 ORDER BY d.task_id, d.position`,
        [projectId],
      ),
    ]);
    const deps = new Map<string, string[]>();
    for (const edge of edges) {
      const list = deps.get(edge.task_id) ?? [];
      list.push(edge.depends_on_id);
      deps.set(edge.task_id, list);
    }
    return rows.map((row) => toTask(row, deps.get(row.id) ?? []));
  }

  async get(id: string): Promise<Task | undefined> {
    const [row, deps] = await Promise.all([
      this.sql.one<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]),
      this.sql.all<{ depends_on_id: string }>(
        'SELECT depends_on_id FROM task_dependencies WHERE task_id = $1 ORDER BY position',
        [id],
      ),
    ]);
    return (
      row &&
      toTask(
        row,
        deps.map((d) => d.depends_on_id),
      )
    );
  }

  async update(id: string, patch: TaskPatch): Promise<Task> {
    const sets = patchAssignments(patch);
    const changed = await this.sql.run(
      `UPDATE tasks SET ${sets.map(([column], i) => `${column} = $${i + 1}`).join(', ')}
       WHERE id = $${sets.length + 1}`,
      [...sets.map(([, value]) => value), id],
    );
    if (changed === 0) throw notFound('task', id);
    return (await this.get(id))!;
  }

  startAttempt(taskId: string, worker: string): Promise<Attempt> {
    return this.sql.transaction(async (tx) => {
      const task = await tx.one<{ attempt: number }>(
        'SELECT attempt FROM tasks WHERE id = $1 FOR UPDATE',
        [taskId],
      );
      if (!task) throw notFound('task', taskId);
      const { previous } = (await tx.one<{ previous: number }>(
        'SELECT COALESCE(MAX(number), 0) AS previous FROM attempts WHERE task_id = $1',
        [taskId],
      ))!;
      const row = newAttemptRow(taskId, previous + 1, worker);
      await tx.run(
        'INSERT INTO attempts (id, task_id, number, worker, started_at) VALUES ($1, $2, $3, $4, $5)',
        [row.id, taskId, row.number, worker, row.started_at],
      );
      await tx.run('UPDATE tasks SET attempt = $1, worker = $2, updated_at = $3 WHERE id = $4', [
        row.number,
        worker,
        row.started_at,
        taskId,
      ]);
      return toAttempt(row);
    });
  }

  async finishAttempt(attemptId: string, outcome: string, end: AttemptEnd = {}): Promise<void> {
    // Conditional on not ended, so that of two finishes racing exactly one wins.
    const changed = await this.sql.run(
      `UPDATE attempts SET ended_at = $1, outcome = $2, error = $3, test_output = $4, review = $5
       WHERE id = $6 AND ended_at IS NULL`,
      [
        Date.now(),
        outcome,
        end.error ?? null,
        end.testOutput ?? null,
        end.review ?? null,
        attemptId,
      ],
    );
    if (changed > 0) return;
    const row = await this.sql.one<AttemptRow>('SELECT * FROM attempts WHERE id = $1', [attemptId]);
    if (!row) throw notFound('attempt', attemptId);
    throw new StoreError(
      'conflict',
      `attempt "${attemptId}" was already finished with outcome "${row.outcome}"`,
    );
  }

  async setAttemptBranch(attemptId: string, branch: string): Promise<void> {
    const changed = await this.sql.run('UPDATE attempts SET branch = $1 WHERE id = $2', [
      branch,
      attemptId,
    ]);
    if (changed === 0) throw notFound('attempt', attemptId);
  }

  async listAttempts(taskId: string): Promise<Attempt[]> {
    if (!(await this.sql.one('SELECT 1 FROM tasks WHERE id = $1', [taskId]))) {
      throw notFound('task', taskId);
    }
    const rows = await this.sql.all<AttemptRow>(
      'SELECT * FROM attempts WHERE task_id = $1 ORDER BY number',
      [taskId],
    );
    return rows.map(toAttempt);
  }
}
