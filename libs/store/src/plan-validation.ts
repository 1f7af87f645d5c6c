// Checks a plan before any implementation stores it, so every Store refuses the same plans
// with the same words, and a graph the scheduler could never finish is caught at the door.
import { type PlannedTask, StoreError } from './store.js';

const invalid = (message: string) => new StoreError('invalid', message);

/** Throws StoreError('invalid') for empty or duplicate keys, unknown or self deps, and cycles. */
export function assertStorablePlan(tasks: PlannedTask[]): void {
  const byKey = new Map<string, PlannedTask>();
  for (const task of tasks) {
    if (task.key.trim() === '') throw invalid(`a task titled "${task.title}" has an empty key`);
    if (byKey.has(task.key)) throw invalid(`the plan has two tasks with key "${task.key}"`);
    byKey.set(task.key, task);
  }
  for (const task of tasks) {
    for (const dep of task.dependsOn) {
      if (dep === task.key) throw invalid(`task "${task.key}" depends on itself`);
      if (!byKey.has(dep)) {
        throw invalid(`task "${task.key}" depends on "${dep}", which is not in the plan`);
      }
    }
  }
  const cycle = findCycle(byKey);
  if (cycle) throw invalid(`the plan's dependencies form a cycle: ${cycle.join(' → ')}`);
}

/** Depth-first search; returns the keys of one cycle, first key repeated at the end. */
function findCycle(byKey: Map<string, PlannedTask>): string[] | undefined {
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (key: string): string[] | undefined => {
    const at = path.indexOf(key);
    if (at >= 0) return [...path.slice(at), key];
    if (done.has(key)) return undefined;
    path.push(key);
    for (const dep of byKey.get(key)?.dependsOn ?? []) {
      const cycle = visit(dep);
      if (cycle) return cycle;
    }
    path.pop();
    done.add(key);
    return undefined;
  };
  for (const key of byKey.keys()) {
    const cycle = visit(key);
    if (cycle) return cycle;
  }
  return undefined;
}
