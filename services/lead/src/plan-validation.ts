import { TaskKind } from '@codeframe/proto';
import { validatePlan as checkGraph, type PlannedTask, StoreError } from '@codeframe/store';

export type { PlannedTask };

export type PlanCheck = { ok: true; tasks: PlannedTask[] } | { ok: false; reason: string };

const KINDS: Record<string, TaskKind> = {
  backend: TaskKind.BACKEND,
  frontend: TaskKind.FRONTEND,
  test: TaskKind.TEST,
};
const KEY = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
export const MAX_PLAN_TASKS = 500;

/**
 * Reads what the model submitted as a plan: a non-empty list of well-formed tasks of known
 * kinds, whose graph then passes the store's own check (unique keys, dependencies inside
 * the plan, no cycle). The reason is a sentence the model, and a person, can act on.
 */
export function validatePlan(input: unknown): PlanCheck {
  const fail = (reason: string): PlanCheck => ({ ok: false, reason });
  const raw = (input as { tasks?: unknown } | null)?.tasks;
  if (!Array.isArray(raw)) return fail('the plan needs a "tasks" array');
  if (raw.length === 0) return fail('the plan is empty: it needs at least one task');
  if (raw.length > MAX_PLAN_TASKS)
    return fail(`the plan has ${raw.length} tasks; at most ${MAX_PLAN_TASKS} are allowed`);
  const tasks: PlannedTask[] = [];
  for (const [i, item] of raw.entries()) {
    const t = (item ?? {}) as Record<string, unknown>;
    const where = typeof t.key === 'string' && t.key ? `task "${t.key}"` : `task #${i + 1}`;
    if (typeof t.key !== 'string' || !KEY.test(t.key)) {
      return fail(
        `${where}: "key" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      );
    }
    if (typeof t.title !== 'string' || !t.title.trim())
      return fail(`${where}: "title" is required`);
    const kind = typeof t.kind === 'string' ? KINDS[t.kind] : undefined;
    if (kind === undefined)
      return fail(
        `${where}: unknown kind ${JSON.stringify(t.kind)}; use backend, frontend or test`,
      );
    const deps = t.depends_on ?? [];
    if (!Array.isArray(deps) || !deps.every((d) => typeof d === 'string')) {
      return fail(`${where}: "depends_on" must be a list of task keys`);
    }
    const criteria = t.acceptance_criteria ?? [];
    if (!Array.isArray(criteria) || !criteria.every((c) => typeof c === 'string')) {
      return fail(`${where}: "acceptance_criteria" must be a list of strings`);
    }
    tasks.push({
      key: t.key,
      title: t.title.trim(),
      description: typeof t.description === 'string' ? t.description : '',
      kind,
      dependsOn: [...new Set(deps as string[])],
      acceptanceCriteria: criteria as string[],
    });
  }
  try {
    checkGraph(tasks);
  } catch (err) {
    if (err instanceof StoreError) return fail(err.message);
    throw err;
  }
  return { ok: true, tasks };
}
