import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  EventSchema,
  type MainVerified,
  type Project,
  type ProjectStatus,
  type Task,
  TaskStatus,
} from '@codeframe/proto';
import type { EventPayload, Store } from '@codeframe/store';
import { Code, ConnectError } from '@connectrpc/connect';
import type { EventHub } from './event-hub.js';

/**
 * Every change of a project's state goes through here, so each is stored and published as
 * its event together: a task's status, the project's status, a blocker.
 */
export class ProjectState {
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

  async setTaskStatus(
    task: Task,
    to: TaskStatus,
    reason: string,
    attempt = task.attempt,
  ): Promise<void> {
    const from = (await this.task(task.id)).status;
    await this.store.updateTask(task.id, { status: to });
    await this.emit(task.projectId, {
      case: 'taskStatusChanged',
      value: { taskId: task.id, from, to, reason, attempt },
    });
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
    if (!project) throw new ConnectError(`project "${id}" does not exist`, Code.NotFound);
    return project;
  }

  async task(id: string): Promise<Task> {
    const task = await this.store.getTask(id);
    if (!task) throw new ConnectError(`task "${id}" does not exist`, Code.NotFound);
    return task;
  }
}
