import type { EventOf, QualityGate } from './protocol.js';

// A task's quality gates as the drawer shows them: the latest result of each gate, in the
// order they first ran, as the lead keeps them on the task (libs/orchestrator/src/task-gates.ts).

/** `gates` with the result `event` reports replacing the earlier one of the same gate. */
export function withGate(
  gates: readonly QualityGate[],
  event: EventOf<'quality_gate'>,
): QualityGate[] {
  const { task_id, name, command, passed, summary, attempt } = event;
  const gate: QualityGate = { task_id, name, command, passed, summary, attempt };
  const at = gates.findIndex((g) => g.name === name);
  return at < 0 ? [...gates, gate] : gates.map((g, i) => (i === at ? gate : g));
}
