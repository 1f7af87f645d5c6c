import type { QualityGate } from '@codeframe/proto';
import type { Store } from '@codeframe/store';

// What a task shows of its quality gates (Task.gates): the latest result of each gate its
// latest attempt ran, in the order they first ran. The events keep every run.

/** Records a gate's result on its task, replacing the earlier result of the same gate. */
export async function recordGate(store: Store, taskId: string, gate: QualityGate): Promise<void> {
  const gates = (await store.getTask(taskId))?.gates ?? [];
  const at = gates.findIndex((g) => g.name === gate.name);
  await store.updateTask(taskId, {
    gates: at < 0 ? [...gates, gate] : gates.map((g, i) => (i === at ? gate : g)),
  });
}

/** A new attempt starts without the results of the one before. */
export async function clearGates(store: Store, taskId: string): Promise<void> {
  const task = await store.getTask(taskId);
  if (task && task.gates.length > 0) await store.updateTask(taskId, { gates: [] });
}
