import { describe, expect, it } from 'vitest';
import {
  isFinished,
  isMerge,
  isTaskFinished,
  isTaskRunning,
  isTaskTroubled,
} from './predicates.js';

describe('predicates', () => {
  it('a project is finished once completed or failed, not paused', () => {
    expect(isFinished('PROJECT_STATUS_COMPLETED')).toBe(true);
    expect(isFinished('PROJECT_STATUS_FAILED')).toBe(true);
    expect(isFinished('PROJECT_STATUS_PAUSED')).toBe(false);
    expect(isFinished(undefined)).toBe(false);
  });

  it('a merge is a commit on main', () => {
    expect(isMerge({ branch: 'main' })).toBe(true);
    expect(isMerge({ branch: 'codeframe/task-1' })).toBe(false);
    expect(isMerge({})).toBe(false);
  });

  it('task statuses: finished, running, troubled', () => {
    expect(isTaskFinished('TASK_STATUS_CANCELLED')).toBe(true);
    expect(isTaskFinished('TASK_STATUS_BLOCKED')).toBe(false);
    expect(isTaskRunning('TASK_STATUS_ASSIGNED')).toBe(true);
    expect(isTaskRunning('TASK_STATUS_PENDING')).toBe(false);
    expect(isTaskTroubled('TASK_STATUS_BLOCKED')).toBe(true);
    expect(isTaskTroubled('TASK_STATUS_PENDING')).toBe(false);
  });
});
