import type { BrowserQualityGate, EventOf } from './browser-protocol.js';

// A task's quality gates as readers show them: the latest result of each gate, in the
// order they first ran, as the lead keeps them on the task (libs/orchestrator/src/task-gates.ts).

/** `gates` with the result `event` reports replacing the earlier one of the same gate. */
export function withGate(
  gates: readonly BrowserQualityGate[],
  event: EventOf<'quality_gate'>,
): BrowserQualityGate[] {
  const { task_id, name, command, passed, summary, attempt } = event;
  const gate: BrowserQualityGate = { task_id, name, command, passed, summary, attempt };
  const at = gates.findIndex((g) => g.name === name);
  return at < 0 ? [...gates, gate] : gates.map((g, i) => (i === at ? gate : g));
}
