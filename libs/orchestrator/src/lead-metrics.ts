// The lead's counters: dispatches, merges, task state changes (no project or task ids as labels).
import { TaskStatus } from '@codeframe/proto';
import { counter } from '@codeframe/runtime';
import type { GatedMerge } from './merge-queue.js';

const dispatches = counter({
  name: 'codeframe_dispatches_total',
  help: 'Task attempts dispatched to a worker.',
});
const merges = counter({
  name: 'codeframe_merges_total',
  help: 'Task merges, by outcome (merged, conflict, red, unverified, error).',
  labelNames: ['outcome'],
});
const transitions = counter({
  name: 'codeframe_task_transitions_total',
  help: 'Task status changes, by the status entered.',
  labelNames: ['status'],
});

export function recordDispatch(): void {
  dispatches.inc();
}

export function recordMerge(outcome: GatedMerge | Error): void {
  const label =
    outcome instanceof Error
      ? 'error'
      : !outcome.merged
        ? 'conflict'
        : outcome.unverified !== undefined
          ? 'unverified'
          : outcome.red
            ? 'red'
            : 'merged';
  merges.labels(label).inc();
}

export function recordTransition(status: TaskStatus): void {
  transitions.labels(TaskStatus[status] ?? 'UNKNOWN').inc();
}
