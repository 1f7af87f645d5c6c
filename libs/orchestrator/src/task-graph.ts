import { type Task, TaskStatus } from '@codeframe/proto';

const DONE_BADLY = new Set([TaskStatus.FAILED, TaskStatus.CANCELLED]);

/** Pending tasks whose dependencies have all completed, in plan order. */
export function readyTasks(tasks: readonly Task[]): Task[] {
  const status = new Map(tasks.map((t) => [t.id, t.status]));
  return tasks.filter(
    (t) =>
      t.status === TaskStatus.PENDING &&
      t.dependsOn.every((dep) => status.get(dep) === TaskStatus.COMPLETED),
  );
}

/**
 * Pending tasks that can never start because a dependency, directly or through others,
 * failed or was cancelled; each with the failed tasks that block it. A failed task never
 * unblocks its dependents.
 */
export function blockedByFailures(tasks: readonly Task[]): Map<string, string[]> {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const memo = new Map<string, string[]>();
  const failedUpstream = (id: string, seen: Set<string>): string[] => {
    const cached = memo.get(id);
    if (cached) return cached;
    const task = byId.get(id);
    if (!task || seen.has(id)) return [];
    seen.add(id);
    const found = new Set<string>();
    for (const dep of task.dependsOn) {
      const upstream = byId.get(dep);
      if (upstream && DONE_BADLY.has(upstream.status)) found.add(dep);
      for (const f of failedUpstream(dep, seen)) found.add(f);
    }
    const result = [...found];
    memo.set(id, result);
    return result;
  };
  const blocked = new Map<string, string[]>();
  for (const task of tasks) {
    if (task.status !== TaskStatus.PENDING) continue;
    const failures = failedUpstream(task.id, new Set());
    if (failures.length > 0) blocked.set(task.id, failures);
  }
  return blocked;
}
