import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  EventSchema,
  type MainVerified,
  type Project,
  type ProjectStatus,
  type Task,
  TaskStatus,
} from '@codeframe/proto';
import type { EventPayload, Store, TaskPatch } from '@codeframe/store';
import type { EventHub } from './event-hub.js';
import { recordTransition } from './lead-metrics.js';
import { OrchestratorError } from './orchestrator-error.js';
import { checkMove, workerMayReport } from './task-lifecycle.js';

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

  emit(projectId: string, payload: MessageInitShape<typeof EventSchema>['payload']) {
    return this.hub.append(projectId, create(EventSchema, { payload }).payload as EventPayload);
  }

  /** While the project's watchers fall behind, a promise that settles once they caught up
   * (the event hub's pacing); a worker's stream awaits it before it reads on. */
  paced(projectId: string): Promise<void> | undefined {
    return this.hub.paced(projectId);
  }

  /** Moves the task to `to` (from the status the store has now), with its fields in the
   * same write, then publishes the change. A move the lifecycle does not allow is refused. */
  async setTaskStatus(
    task: Task,
    to: TaskStatus,
    reason: string,
    { attempt = task.attempt, fields }: StatusChange = {},
  ): Promise<void> {
    const from = (await this.task(task.id)).status;
    checkMove(task.id, from, to);
    await this.store.updateTask(task.id, { ...fields, status: to });
    recordTransition(to);
    await this.emit(task.projectId, {
      case: 'taskStatusChanged',
      value: { taskId: task.id, from, to, reason, attempt },
    });
  }

  /** A worker's report that the task changed status: stored when it is the worker's to make
   * (task-lifecycle.ts: it began work), else refused (false) and nothing is written. */
  async reportedByWorker(taskId: string, to: TaskStatus): Promise<boolean> {
    if (!workerMayReport((await this.task(taskId)).status, to)) return false;
    await this.store.updateTask(taskId, { status: to });
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
    await this.store.setProjectStatus(projectId, status);
    await this.emit(projectId, { case: 'projectStatus', value: { status, reason, main } });
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
