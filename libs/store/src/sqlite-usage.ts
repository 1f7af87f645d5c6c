import { USAGE_AMOUNTS, type UsageTotals } from '@codeframe/proto';
// Usage totals of projects and tasks, in SQLite.
import type { Statements } from './sqlite-statements.js';
import { notFound, StoreError } from './store.js';
import { checkUsageAmounts } from './usage-check.js';

/** Adds delta to the project's totals and, when taskId is given, the task's; all or nothing. */
export function addUsage(
  sql: Statements,
  projectId: string,
  taskId: string | undefined,
  delta: UsageTotals,
): void {
  checkUsageAmounts(delta);
  // Named explicitly: a caller's object may carry more fields than the statement binds.
  const params = {
    ...Object.fromEntries(USAGE_AMOUNTS.map((field) => [field, delta[field]])),
    unpriced: delta.unpriced ? 1 : 0,
    projectId,
    taskId: taskId ?? null,
  };
  const add = (table: string, where: string) =>
    sql
      .get(
        `UPDATE ${table} SET
         input_tokens = input_tokens + @inputTokens,
         output_tokens = output_tokens + @outputTokens,
         cache_read_input_tokens = cache_read_input_tokens + @cacheReadInputTokens,
         cache_creation_input_tokens = cache_creation_input_tokens + @cacheCreationInputTokens,
         cost_usd = cost_usd + @costUsd,
         calls = calls + @calls,
         unpriced = unpriced | @unpriced
       WHERE ${where}`,
      )
      .run(params).changes;
  sql.transaction(() => {
    if (add('projects', 'id = @projectId') === 0) throw notFound('project', projectId);
    if (taskId !== undefined && add('tasks', 'id = @taskId AND project_id = @projectId') === 0) {
      throw new StoreError(
        'not_found',
        `task "${taskId}" does not exist in project "${projectId}"`,
      );
    }
  });
}
