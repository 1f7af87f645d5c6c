// What a status or a commit means, decided once for every reader of events.
import type { ProjectStatusJson, TaskStatusJson } from '@codeframe/proto';

/** The project ended: every task is settled and main was verified, green or red. */
export function isFinished(status: ProjectStatusJson | undefined): boolean {
  return status === 'PROJECT_STATUS_COMPLETED' || status === 'PROJECT_STATUS_FAILED';
}

/** The task will not change again: it completed, failed or was cancelled. */
export function isTaskFinished(status: TaskStatusJson | undefined): boolean {
  return (
    status === 'TASK_STATUS_COMPLETED' ||
    status === 'TASK_STATUS_FAILED' ||
    status === 'TASK_STATUS_CANCELLED'
  );
}

/** A worker holds the task. */
export function isTaskRunning(status: TaskStatusJson | undefined): boolean {
  return status === 'TASK_STATUS_ASSIGNED' || status === 'TASK_STATUS_IN_PROGRESS';
}

/**
 * The reason given with a change to this status is the task's error: it failed, was
 * cancelled or is blocked. Any other status clears the error.
 */
export function isTaskTroubled(status: TaskStatusJson | undefined): boolean {
  return (
    status === 'TASK_STATUS_FAILED' ||
    status === 'TASK_STATUS_BLOCKED' ||
    status === 'TASK_STATUS_CANCELLED'
  );
}

/** The branch the lead merges into; it reports each merge as a commit on it. */
export const MAIN_BRANCH = 'main';

/** A merge into main, as opposed to a commit on the task's own branch. */
export function isMerge(commit: { branch?: string }): boolean {
  return commit.branch === MAIN_BRANCH;
}
