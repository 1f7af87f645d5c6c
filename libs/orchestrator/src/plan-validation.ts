import { TaskKind } from '@codeframe/proto';
import { assertStorablePlan, type PlannedTask, StoreError } from '@codeframe/store';

export type { PlannedTask };

export type PlanCheck = { ok: true; tasks: PlannedTask[] } | { ok: false; reason: string };

const KINDS: Record<string, TaskKind> = {
  backend: TaskKind.BACKEND,
  frontend: TaskKind.FRONTEND,
  test: TaskKind.TEST,
};
const KEY = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
export const MAX_PLAN_TASKS = 500;
export const MAX_TASK_FILES = 50;

/** The paths of the repository a plan starts from: the files, and the directories above them. */
export interface RepoPaths {
  files: ReadonlySet<string>;
  dirs: ReadonlySet<string>;
}

/**
 * Reads what the model submitted as a plan: a non-empty list of well-formed tasks of known
 * kinds, whose graph then passes the store's own check (unique keys, dependencies inside
 * the plan, no cycle), and whose files are paths inside the repository it starts from
 * (existing files of it, or new ones). The reason is a sentence the model, and a person,
 * can act on.
 */
export function checkPlannedTasks(input: unknown, repo?: RepoPaths): PlanCheck {
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
    const files = taskFiles(t.files, repo);
    if ('reason' in files) return fail(`${where}: ${files.reason}`);
    const description = typeof t.description === 'string' ? t.description : '';
    tasks.push({
      key: t.key,
      title: t.title.trim(),
      // Kept in the description, where the engineer, a person and the task's part of the
      // repository map (which follows the paths it names) all find them.
      description: files.line ? `${description}\n\nFiles: ${files.line}`.trim() : description,
      kind,
      dependsOn: [...new Set(deps as string[])],
      acceptanceCriteria: criteria as string[],
    });
  }
  try {
    assertStorablePlan(tasks);
  } catch (err) {
    if (err instanceof StoreError) return fail(err.message);
    throw err;
  }
  return { ok: true, tasks };
}

/**
 * A task's `files` as its description line ("a.js (exists), b.js (new)"), '' for none, or
 * the reason they cannot be: each a relative path without "." or ".." parts, that is no
 * directory of the repository and has no file of it as a directory.
 */
function taskFiles(
  raw: unknown,
  repo: RepoPaths | undefined,
): { line: string } | { reason: string } {
  const refuse = (reason: string) => ({ reason });
  if (raw === undefined) return { line: '' };
  if (!Array.isArray(raw) || !raw.every((f) => typeof f === 'string')) {
    return refuse('"files" must be a list of paths');
  }
  if (raw.length > MAX_TASK_FILES) {
    return refuse(`"files" names ${raw.length} paths; at most ${MAX_TASK_FILES} are allowed`);
  }
  const shown: string[] = [];
  for (const path of new Set(raw as string[])) {
    const parts = path.split('/');
    const named = JSON.stringify(path.slice(0, 200));
    if (
      !path ||
      path.length > 500 ||
      path.startsWith('/') ||
      parts.some((p) => p === '' || p === '.' || p === '..') ||
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
      /[\u0000-\u001f\u007f\\]/.test(path)
    ) {
      return refuse(
        `file ${named} is not a relative path inside the repository (no leading "/", no "." or ".." parts, no backslashes or control characters)`,
      );
    }
    if (repo?.dirs.has(path))
      return refuse(`file ${named} is a directory of the repository: name its files`);
    const above = parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
    const file = above.find((p) => repo?.files.has(p));
    if (file)
      return refuse(
        `file ${named} is below ${JSON.stringify(file)}, which is a file of the repository`,
      );
    shown.push(`${path} (${repo?.files.has(path) ? 'exists' : 'new'})`);
  }
  return { line: shown.join(', ') };
}
