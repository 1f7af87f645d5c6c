import type { QualityGate, Task } from '@codeframe/proto';
import type { Store } from '@codeframe/store';

// What a task shows of its quality gates (Task.gates): the latest result of each gate its
// latest attempt ran, in the order they first ran. The events keep every run.

/** The task's gates with this result, replacing the earlier result of the same gate. */
export function withGate(task: Task, gate: QualityGate): QualityGate[] {
  const at = task.gates.findIndex((g) => g.name === gate.name);
  return at < 0 ? [...task.gates, gate] : task.gates.map((g, i) => (i === at ? gate : g));
}

/** A new attempt starts without the results of the one before. */
export async function clearGates(store: Store, taskId: string): Promise<void> {
  const task = await store.getTask(taskId);
  if (task && task.gates.length > 0) await store.updateTask(taskId, { gates: [] });
}
