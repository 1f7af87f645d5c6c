import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  EventSchema,
  type MainVerified,
  type Project,
  type ProjectStatus,
  type Task,
  TaskStatus,
} from '@codeframe/proto';
import {
  type EventPayload,
  type StateChange,
  type Store,
  StoreError,
  type TaskPatch,
} from '@codeframe/store';
import type { EventHub } from './event-hub.js';
import { recordTransition } from './lead-metrics.js';
import { OrchestratorError } from './orchestrator-error.js';
import { checkMove, workerMayReport } from './task-lifecycle.js';

/** A move that keeps losing the race to another change of the task is given up after this. */
const MAX_MOVE_TRIES = 3;

/** What a change of status writes beside it: the attempt it is about, and task fields
 * (the error of a failure) stored in the same write as the status. */
export interface StatusChange {
  attempt?: number;
  fields?: Omit<TaskPatch, 'status'>;
}

/**
 * Every change of a project's state goes through here, so each is stored and published as
 * its event together: a task's status (checked against the lifecycle, task-lifecycle.ts),
 * the project's status, a blocker.
 */
export class ProjectLedger {
  constructor(
    readonly store: Store,
    private readonly hub: EventHub,
  ) {}

  /** Publishes the event; with `change`, what it reports is written in the same
   * transaction (both or neither). */
  emit(
    projectId: string,
    payload: MessageInitShape<typeof EventSchema>['payload'],
    change?: StateChange,
  ) {
    return this.hub.append(
      projectId,
      create(EventSchema, { payload }).payload as EventPayload,
      change,
    );
  }

  /** While the project's watchers fall behind, a promise that settles once they caught up
   * (the event hub's pacing); a worker's stream awaits it before it reads on. */
  paced(projectId: string): Promise<void> | undefined {
    return this.hub.paced(projectId);
  }

  /** Moves the task to `to` from the status the store has now: the status, its fields and
   * the event in one write, made only if the task did not move on in between (else judged
   * again from where it went). A move the lifecycle does not allow is refused. */
  async setTaskStatus(
    task: Task,
    to: TaskStatus,
    reason: string,
    { attempt = task.attempt, fields }: StatusChange = {},
  ): Promise<void> {
    for (let tries = 1; ; tries++) {
      const from = (await this.task(task.id)).status;
      checkMove(task.id, from, to);
      try {
        await this.emit(
          task.projectId,
          { case: 'taskStatusChanged', value: { taskId: task.id, from, to, reason, attempt } },
          { task: { id: task.id, patch: { ...fields, status: to }, whileStatus: from } },
        );
        recordTransition(to);
        return;
      } catch (err) {
        if (!(err instanceof StoreError && err.code === 'conflict') || tries === MAX_MOVE_TRIES) {
          throw err;
        }
      }
    }
  }

  /** A worker's report that the task changed status: stored with its event when it is the
   * worker's to make (task-lifecycle.ts: it began work), else refused (false) and nothing is
   * written. */
  async reportedByWorker(
    task: Task,
    report: Extract<EventPayload, { case: 'taskStatusChanged' }>,
  ): Promise<boolean> {
    const from = (await this.task(task.id)).status;
    if (!workerMayReport(from, report.value.to)) return false;
    try {
      await this.emit(task.projectId, report, {
        task: { id: task.id, patch: { status: report.value.to }, whileStatus: from },
      });
    } catch (err) {
      // Moved on meanwhile (cancelled, say): the worker's report is out of date.
      if (err instanceof StoreError && err.code === 'conflict') return false;
      throw err;
    }
    recordTransition(report.value.to);
    return true;
  }

  /** The task failed: its error and status in one write, then the event. */
  fail(task: Task, reason: string, error = reason): Promise<void> {
    return this.setTaskStatus(task, TaskStatus.FAILED, reason, { fields: { error } });
  }

  /** `main`: the verification of the final main, on a project's last status. */
  async setProjectStatus(
    projectId: string,
    status: ProjectStatus,
    reason: string,
    main?: MainVerified,
  ): Promise<void> {
    await this.emit(
      projectId,
      { case: 'projectStatus', value: { status, reason, main } },
      { projectStatus: status },
    );
  }

  /** The task waits for a person: a blocker with the question. */
  async block(task: Task, question: string): Promise<void> {
    const blocker = await this.store.createBlocker(task.projectId, task.id, question);
    await this.emit(task.projectId, { case: 'blockerCreated', value: { blocker } });
    await this.setTaskStatus(task, TaskStatus.BLOCKED, question);
  }

  async project(id: string): Promise<Project> {
    const project = await this.store.getProject(id);
    if (!project) throw new OrchestratorError('not_found', `project "${id}" does not exist`);
    return project;
  }

  async task(id: string): Promise<Task> {
    const task = await this.store.getTask(id);
    if (!task) throw new OrchestratorError('not_found', `task "${id}" does not exist`);
    return task;
  }
}
