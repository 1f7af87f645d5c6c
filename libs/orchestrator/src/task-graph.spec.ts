import { create } from '@bufbuild/protobuf';
import { TaskSchema, TaskStatus } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { blockedByFailures, readyTasks } from './task-graph.js';

const task = (id: string, status: TaskStatus, dependsOn: string[] = []) =>
  create(TaskSchema, { id, status, dependsOn });
const { PENDING, COMPLETED, FAILED, CANCELLED, IN_PROGRESS } = TaskStatus;

describe('task graph', () => {
  it('finds the pending tasks whose dependencies all completed', () => {
    const tasks = [
      task('a', COMPLETED),
      task('b', PENDING, ['a']),
      task('c', PENDING, ['a', 'd']),
      task('d', IN_PROGRESS),
      task('e', PENDING),
    ];
    expect(readyTasks(tasks).map((t) => t.id)).toEqual(['b', 'e']);
  });

  it('blocks the dependents of a failed or cancelled task, transitively', () => {
    const tasks = [
      task('a', FAILED),
      task('b', PENDING, ['a']),
      task('c', PENDING, ['b']),
      task('x', CANCELLED),
      task('d', PENDING, ['c', 'x']),
      task('e', PENDING),
    ];
    expect(Object.fromEntries(blockedByFailures(tasks))).toEqual({
      b: ['a'],
      c: ['a'],
      d: ['a', 'x'],
    });
    expect(readyTasks(tasks).map((t) => t.id)).toEqual(['e']);
  });
});
