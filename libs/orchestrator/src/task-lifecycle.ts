import { TaskStatus } from '@codeframe/proto';
import { OrchestratorError } from './orchestrator-error.js';

// A task's lifecycle, as one table: every change of status the lead makes is checked against
// it (ProjectLedger.setTaskStatus), so a status set from an unexpected place fails loudly
// instead of quietly breaking the graph, and a worker may report only the one change that is
// its own to report.

const { PENDING, ASSIGNED, IN_PROGRESS, BLOCKED, COMPLETED, FAILED, CANCELLED } = TaskStatus;

/** Where a running attempt can end: merged, sent back, asking, failed, cancelled. */
const ENDINGS = [PENDING, BLOCKED, COMPLETED, FAILED, CANCELLED];

/** Each status and the statuses a task may go to from it. */
export const TASK_TRANSITIONS: ReadonlyMap<TaskStatus, ReadonlySet<TaskStatus>> = new Map([
  // Dispatched; failed before it ran (the lead could not run it); cancelled while waiting.
  [PENDING, new Set([ASSIGNED, FAILED, CANCELLED])],
  [ASSIGNED, new Set([IN_PROGRESS, ...ENDINGS])],
  [IN_PROGRESS, new Set(ENDINGS)],
  // Answered (it runs again), cancelled, or failed by the lead while it waited.
  [BLOCKED, new Set([PENDING, CANCELLED, FAILED])],
  // Retried.
  [FAILED, new Set([PENDING])],
  [CANCELLED, new Set([PENDING])],
  // Merged into main: final.
  [COMPLETED, new Set<TaskStatus>()],
]);

/** A dispatch in flight: in the store as assigned or in progress. */
export const RUNNING_STATES: ReadonlySet<TaskStatus> = new Set([ASSIGNED, IN_PROGRESS]);
/** Ended: only a retry (of a failed or cancelled task) moves it again. */
export const FINAL_STATES: ReadonlySet<TaskStatus> = new Set([COMPLETED, FAILED, CANCELLED]);

export function canMove(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS.get(from)?.has(to) ?? false;
}

/** Throws unless the lifecycle lets a task go from `from` to `to`. */
export function checkMove(taskId: string, from: TaskStatus, to: TaskStatus): void {
  if (!canMove(from, to)) {
    throw new OrchestratorError(
      'internal',
      `task "${taskId}" cannot go from ${statusName(from)} to ${statusName(to)}`,
    );
  }
}

/** The one change a worker reports itself: it began work on what it was assigned. Anything
 * else a worker's stream claims is not the worker's to decide. */
export function workerMayReport(from: TaskStatus, to: TaskStatus): boolean {
  return from === ASSIGNED && to === IN_PROGRESS;
}

export function statusName(status: TaskStatus): string {
  return (TaskStatus[status] ?? `status ${status}`).toLowerCase().replace('_', ' ');
}
