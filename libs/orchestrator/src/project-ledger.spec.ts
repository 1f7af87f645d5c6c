import { create } from '@bufbuild/protobuf';
import { TaskKind, TaskStatus, TaskStatusChangedSchema } from '@codeframe/proto';
import { openSqliteStore, type Store } from '@codeframe/store';
import { afterEach, describe, expect, it } from 'vitest';
import { EventHub } from './event-hub.js';
import { OrchestratorError } from './orchestrator-error.js';
import { ProjectLedger } from './project-ledger.js';
import { canMove, TASK_TRANSITIONS } from './task-lifecycle.js';

const { PENDING, ASSIGNED, IN_PROGRESS, BLOCKED, COMPLETED, FAILED, CANCELLED } = TaskStatus;

let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** A ledger over a fresh store, and one planned task of a project. */
async function oneTask() {
  store = await openSqliteStore(':memory:');
  const project = await store.createProject({
    name: 'p',
    prd: '# p',
    repoUrl: 'file:///nowhere.git',
    budgetUsd: 0,
    maxConcurrency: 0,
  });
  const [task] = await store.savePlan(project.id, [
    {
      key: 'a',
      title: 'A',
      description: 'a',
      kind: TaskKind.BACKEND,
      dependsOn: [],
      acceptanceCriteria: [],
    },
  ]);
  const ledger = new ProjectLedger(store, new EventHub(store));
  const statusEvents = async () =>
    (await store!.readEvents(project.id, 0n, 100)).flatMap((e) =>
      e.payload.case === 'taskStatusChanged' ? [[e.payload.value.from, e.payload.value.to]] : [],
    );
  return { ledger, task: task!, statusEvents };
}

describe('the task lifecycle', () => {
  it('has a row for every status, and only a retry leaves an ended task', () => {
    const statuses = Object.values(TaskStatus).filter(
      (s): s is TaskStatus => typeof s === 'number' && s !== TaskStatus.UNSPECIFIED,
    );
    expect([...TASK_TRANSITIONS.keys()].sort()).toEqual(statuses.sort());
    expect([...TASK_TRANSITIONS.get(COMPLETED)!]).toEqual([]);
    for (const ended of [FAILED, CANCELLED])
      expect([...TASK_TRANSITIONS.get(ended)!]).toEqual([PENDING]);
    // Nothing skips its dispatch: a pending task is never completed or blocked directly.
    expect(canMove(PENDING, COMPLETED)).toBe(false);
    expect(canMove(PENDING, BLOCKED)).toBe(false);
    expect(canMove(IN_PROGRESS, ASSIGNED)).toBe(false);
  });

  it('writes a change of status with its fields and publishes it', async () => {
    const { ledger, task, statusEvents } = await oneTask();
    await ledger.setTaskStatus(task, ASSIGNED, 'dispatched', { attempt: 1 });
    await ledger.fail(task, 'it broke', 'the error');
    const stored = await ledger.task(task.id);
    expect(stored.status).toBe(FAILED);
    expect(stored.error).toBe('the error');
    expect(await statusEvents()).toEqual([
      [PENDING, ASSIGNED],
      [ASSIGNED, FAILED],
    ]);
  });

  it('refuses a change the lifecycle does not allow, and writes nothing', async () => {
    const { ledger, task, statusEvents } = await oneTask();
    const err = await ledger.setTaskStatus(task, COMPLETED, 'skipped ahead').catch((e) => e);
    expect(err).toBeInstanceOf(OrchestratorError);
    expect(err.code).toBe('internal');
    expect(err.message).toBe(`task "${task.id}" cannot go from pending to completed`);
    expect((await ledger.task(task.id)).status).toBe(PENDING);
    expect(await statusEvents()).toEqual([]);
  });
});

describe("a worker's report of a task's status", () => {
  it('is stored when the worker began work on what it was assigned', async () => {
    const { ledger, task, statusEvents } = await oneTask();
    await ledger.setTaskStatus(task, ASSIGNED, 'dispatched');
    expect(await ledger.reportedByWorker(task, report(task.id, IN_PROGRESS))).toBe(true);
    expect((await ledger.task(task.id)).status).toBe(IN_PROGRESS);
    // The status and its event, one write: the report is in the log too.
    expect((await statusEvents()).at(-1)).toEqual([ASSIGNED, IN_PROGRESS]);
  });

  it('is refused when the worker claims the task completed, failed or anything else', async () => {
    // A worker that says COMPLETED mid-stream would otherwise release the task's dependents
    // before its work was reviewed, merged or even finished.
    const { ledger, task, statusEvents } = await oneTask();
    await ledger.setTaskStatus(task, ASSIGNED, 'dispatched');
    for (const to of [COMPLETED, FAILED, CANCELLED, BLOCKED, PENDING, 99 as TaskStatus]) {
      expect(
        await ledger.reportedByWorker(task, report(task.id, to)),
        TaskStatus[to] ?? String(to),
      ).toBe(false);
      expect((await ledger.task(task.id)).status).toBe(ASSIGNED);
    }
    await ledger.reportedByWorker(task, report(task.id, IN_PROGRESS));
    expect(await ledger.reportedByWorker(task, report(task.id, COMPLETED))).toBe(false);
    expect((await ledger.task(task.id)).status).toBe(IN_PROGRESS);
    expect(await statusEvents()).toEqual([
      [PENDING, ASSIGNED],
      [ASSIGNED, IN_PROGRESS],
    ]);
  });
});

describe('a change of status', () => {
  it('is judged again from where the task went when it moved on in between', async () => {
    const { ledger, task, statusEvents } = await oneTask();
    await ledger.setTaskStatus(task, ASSIGNED, 'dispatched');
    // Another change lands between the ledger's read and its write: the read says ASSIGNED,
    // the store has IN_PROGRESS by the time the write is made.
    let stale = true;
    const racing = new ProjectLedger(
      new Proxy(store!, {
        get: (target, key) =>
          key === 'getTask'
            ? async (id: string) => {
                const read = await target.getTask(id);
                if (stale) {
                  stale = false;
                  await target.updateTask(id, { status: IN_PROGRESS });
                }
                return read;
              }
            : Reflect.get(target, key),
      }),
      new EventHub(store!),
    );
    await racing.setTaskStatus(task, COMPLETED, 'merged');
    expect((await ledger.task(task.id)).status).toBe(COMPLETED);
    // Its event names the status it really left, not the one first read.
    expect((await statusEvents()).at(-1)).toEqual([IN_PROGRESS, COMPLETED]);
  });
});

function report(taskId: string, to: TaskStatus) {
  return {
    case: 'taskStatusChanged' as const,
    value: create(TaskStatusChangedSchema, { taskId, from: ASSIGNED, to, reason: 'worker' }),
  };
}
