import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { LlmClient } from '@codeframe/llm';
import {
  type Blocker,
  BlockerAnswerSchema,
  EventSchema,
  ExecuteTaskRequestSchema,
  type Project,
  ProjectStatus,
  type Task,
  TaskOutcome,
  type TaskResult,
  TaskStatus,
} from '@codeframe/proto';
import type { Logger } from '@codeframe/runtime';
import type { EventPayload, Store } from '@codeframe/store';
import { Code, ConnectError } from '@connectrpc/connect';
import type { EventHub } from './event-hub.js';
import { planFromPrd } from './planner.js';
import { createProjectRepo, mergeTaskBranch } from './project-repo.js';
import { blockedByFailures, readyTasks } from './task-graph.js';
import type { Replica, WorkerPool } from './worker-pool.js';

export interface OrchestratorOptions {
  store: Store;
  hub: EventHub;
  pool: WorkerPool;
  llm: LlmClient;
  dataDir: string;
  logger: Logger;
  /** Tasks of one project running at once, when the project sets none. */
  maxConcurrency: number;
  /** Dispatches of one task (a broken worker stream counts) before it fails. */
  maxDispatchAttempts: number;
}

const RUNNING_STATES = new Set([TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS]);
const FINAL_STATES = new Set([TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED]);
const RETRY_PLACEMENT_MS = 1_000;

/**
 * Plans projects and runs their task graphs: ready tasks go to worker replicas of their
 * kind under the project's concurrency cap, every worker event is persisted and published,
 * completed branches are merged into main before their dependents start, failures block
 * dependents, broken workers get their task re-dispatched.
 */
export class Orchestrator {
  readonly #running = new Map<string, { controller: AbortController; cancelled: boolean }>();
  readonly #reportedBlocked = new Set<string>();
  readonly #conflictReruns = new Map<string, number>();
  readonly #scheduling = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  #stopped = false;

  constructor(private readonly o: OrchestratorOptions) {}

  /** The repository the project's workers use: its own URL, else the lead's bare repo. */
  async repoUrl(project: Project): Promise<string> {
    return project.repoUrl || createProjectRepo(this.o.dataDir, project.id, project.name);
  }

  async plan(projectId: string): Promise<Task[]> {
    const project = await this.#project(projectId);
    if (project.status !== ProjectStatus.CREATED && project.status !== ProjectStatus.PLANNED) {
      throw new ConnectError(
        `project "${projectId}" is ${projectStatusName(project.status)}: only a project that has not started can be planned`,
        Code.FailedPrecondition,
      );
    }
    await this.#setProjectStatus(projectId, ProjectStatus.PLANNING, 'asking the model for a plan');
    try {
      await this.repoUrl(project);
      const plan = await planFromPrd(this.o.llm, project.prd);
      await this.o.store.addUsage(projectId, undefined, plan.usage);
      const tasks = await this.o.store.savePlan(projectId, plan.tasks);
      await this.#emit(projectId, { case: 'planReady', value: { tasks } });
      await this.#setProjectStatus(projectId, ProjectStatus.PLANNED, `${tasks.length} tasks`);
      return tasks;
    } catch (err) {
      await this.#setProjectStatus(
        projectId,
        ProjectStatus.CREATED,
        `planning failed: ${(err as Error).message}`,
      );
      throw new ConnectError(`planning failed: ${(err as Error).message}`, Code.FailedPrecondition);
    }
  }

  async start(projectId: string): Promise<Project> {
    let project = await this.#project(projectId);
    if (project.status === ProjectStatus.CREATED) {
      await this.plan(projectId);
      project = await this.#project(projectId);
    }
    if (project.status === ProjectStatus.PLANNED || project.status === ProjectStatus.PAUSED) {
      await this.#setProjectStatus(projectId, ProjectStatus.RUNNING, 'started');
    } else if (project.status !== ProjectStatus.RUNNING) {
      throw new ConnectError(
        `project "${projectId}" is ${projectStatusName(project.status)} and cannot start`,
        Code.FailedPrecondition,
      );
    }
    this.schedule(projectId);
    return this.#project(projectId);
  }

  async pause(projectId: string, reason = 'paused'): Promise<Project> {
    const project = await this.#project(projectId);
    if (project.status !== ProjectStatus.RUNNING) {
      throw new ConnectError(
        `project "${projectId}" is ${projectStatusName(project.status)}, not running`,
        Code.FailedPrecondition,
      );
    }
    await this.#setProjectStatus(projectId, ProjectStatus.PAUSED, reason);
    return this.#project(projectId);
  }

  async resume(projectId: string): Promise<Project> {
    const project = await this.#project(projectId);
    if (project.status !== ProjectStatus.PAUSED) {
      throw new ConnectError(
        `project "${projectId}" is ${projectStatusName(project.status)}, not paused`,
        Code.FailedPrecondition,
      );
    }
    return this.start(projectId);
  }

  async cancelTask(taskId: string): Promise<Task> {
    const task = await this.#task(taskId);
    if (FINAL_STATES.has(task.status)) {
      throw new ConnectError(
        `task "${taskId}" already ended ${taskStatusName(task.status)}`,
        Code.FailedPrecondition,
      );
    }
    const run = this.#running.get(taskId);
    if (run) {
      run.cancelled = true;
      run.controller.abort(new ConnectError('the task was cancelled', Code.Canceled));
    } else {
      await this.#setStatus(task, TaskStatus.CANCELLED, 'cancelled');
      this.schedule(task.projectId);
    }
    return this.#task(taskId);
  }

  async retryTask(taskId: string): Promise<Task> {
    const task = await this.#task(taskId);
    if (task.status !== TaskStatus.FAILED && task.status !== TaskStatus.CANCELLED) {
      throw new ConnectError(
        `task "${taskId}" is ${taskStatusName(task.status)}: only a failed or cancelled task can be retried`,
        Code.FailedPrecondition,
      );
    }
    this.#reportedBlocked.clear();
    await this.#setStatus(task, TaskStatus.PENDING, 'retry requested');
    const project = await this.#project(task.projectId);
    if (project.status === ProjectStatus.FAILED) {
      await this.#setProjectStatus(
        project.id,
        ProjectStatus.RUNNING,
        `retrying task ${task.key || task.id}`,
      );
    }
    this.schedule(task.projectId);
    return this.#task(taskId);
  }

  async answerBlocker(blockerId: string, answer: string): Promise<Blocker> {
    const blocker = await this.o.store.answerBlocker(blockerId, answer);
    await this.#emit(blocker.projectId, { case: 'blockerResolved', value: { blocker } });
    const task = await this.#task(blocker.taskId);
    if (task.status === TaskStatus.BLOCKED) {
      await this.#setStatus(task, TaskStatus.PENDING, 'the blocker was answered');
      this.schedule(task.projectId);
    }
    return blocker;
  }

  /** After a restart: tasks that were in flight go back to pending, running projects resume. */
  async recover(): Promise<void> {
    for (const project of await this.o.store.listProjects()) {
      if (project.status === ProjectStatus.PLANNING) {
        await this.#setProjectStatus(
          project.id,
          ProjectStatus.CREATED,
          'the lead restarted while planning',
        );
      }
      if (project.status !== ProjectStatus.RUNNING && project.status !== ProjectStatus.PAUSED)
        continue;
      for (const task of await this.o.store.listTasks(project.id)) {
        if (RUNNING_STATES.has(task.status)) {
          await this.#setStatus(task, TaskStatus.PENDING, 'the lead restarted; dispatching again');
        }
      }
      this.schedule(project.id);
    }
  }

  stop(): void {
    this.#stopped = true;
    for (const run of this.#running.values())
      run.controller.abort(new ConnectError('the lead is shutting down', Code.Unavailable));
  }

  /** Dispatches what is ready now; calls while one runs are folded into one more pass. */
  schedule(projectId: string): void {
    if (this.#stopped) return;
    if (this.#scheduling.has(projectId)) {
      this.#again.add(projectId);
      return;
    }
    const pass = this.#schedulePass(projectId)
      .catch((err) => this.o.logger.error({ err, projectId }, 'scheduling failed'))
      .finally(() => {
        this.#scheduling.delete(projectId);
        if (this.#again.delete(projectId)) this.schedule(projectId);
      });
    this.#scheduling.set(projectId, pass);
  }

  async #schedulePass(projectId: string): Promise<void> {
    const project = await this.#project(projectId);
    const tasks = await this.o.store.listTasks(projectId);
    for (const [taskId, failed] of blockedByFailures(tasks)) {
      if (this.#reportedBlocked.has(taskId)) continue;
      this.#reportedBlocked.add(taskId);
      const reason = `depends on ${failed.map((id) => tasks.find((t) => t.id === id)?.key ?? id).join(', ')}, which did not complete`;
      await this.#emit(projectId, {
        case: 'taskBlocked',
        value: { taskId, blockedBy: failed, reason },
      });
    }
    await this.#emitProgress(projectId, tasks);
    if (project.status !== ProjectStatus.RUNNING) return;
    const cap = project.maxConcurrency || this.o.maxConcurrency;
    let running = tasks.filter(
      (t) => RUNNING_STATES.has(t.status) || this.#running.has(t.id),
    ).length;
    let unplaced = false;
    for (const task of readyTasks(tasks)) {
      if (running >= cap) break;
      if (this.#running.has(task.id)) continue;
      const replica = this.o.pool.acquire(task.kind);
      if (!replica) {
        unplaced = true;
        continue;
      }
      running++;
      const run = { controller: new AbortController(), cancelled: false };
      this.#running.set(task.id, run);
      void this.#dispatch(project, task, replica, run).finally(() => {
        this.#running.delete(task.id);
        this.o.pool.release(replica);
        this.schedule(projectId);
      });
    }
    if (unplaced) setTimeout(() => this.schedule(projectId), RETRY_PLACEMENT_MS).unref();
    if (running === 0 && readyTasks(tasks).length === 0) await this.#finishIfDone(project, tasks);
  }

  async #dispatch(
    project: Project,
    task: Task,
    replica: Replica,
    run: { controller: AbortController; cancelled: boolean },
  ): Promise<void> {
    const log = this.o.logger.child({
      projectId: project.id,
      taskId: task.id,
      worker: replica.address,
    });
    const attempt = await this.o.store.startAttempt(task.id, replica.address);
    await this.#setStatus(
      task,
      TaskStatus.ASSIGNED,
      `dispatched to ${replica.address}`,
      attempt.number,
    );
    await this.#emit(project.id, {
      case: 'taskAssigned',
      value: { taskId: task.id, worker: replica.address, kind: task.kind, attempt: attempt.number },
    });
    const answers = (await this.o.store.listBlockers(project.id, true))
      .filter((b) => b.taskId === task.id && b.answer)
      .map((b) =>
        create(BlockerAnswerSchema, { blockerId: b.id, question: b.question, answer: b.answer }),
      );
    const request = create(ExecuteTaskRequestSchema, {
      projectId: project.id,
      task: await this.#task(task.id),
      repoUrl: await this.repoUrl(project),
      // A task resumed after a blocker continues from the work it pushed before asking.
      baseRef: answers.length > 0 ? `task/${task.id}` : 'main',
      branch: `task/${task.id}`,
      answers,
      attempt: attempt.number,
      context: project.prd,
    });
    let result: TaskResult | undefined;
    let failure: ConnectError | undefined;
    try {
      for await (const event of replica.client.executeTask(request, {
        signal: run.controller.signal,
      })) {
        const payload = event.payload;
        if (payload.case === 'result') {
          result = payload.value;
          continue;
        }
        if (!payload.case) continue;
        if (payload.case === 'taskStatusChanged') {
          await this.o.store.updateTask(task.id, { status: payload.value.to });
        }
        if (payload.case === 'tokenUsage' && payload.value.call) {
          const call = payload.value.call;
          await this.o.store.addUsage(project.id, task.id, {
            inputTokens: Number(call.inputTokens),
            outputTokens: Number(call.outputTokens),
            cacheReadInputTokens: Number(call.cacheReadInputTokens),
            cacheCreationInputTokens: Number(call.cacheCreationInputTokens),
            costUsd: call.costUsd,
            calls: call.calls,
            unpriced: call.unpriced,
          });
        }
        await this.#emit(project.id, payload as EventPayload);
        if (payload.case === 'tokenUsage') await this.#checkBudget(project.id);
      }
    } catch (err) {
      failure = ConnectError.from(err);
    }
    const current = await this.#task(task.id);
    if (run.cancelled) {
      await this.o.store.finishAttempt(attempt.id, 'cancelled');
      await this.#setStatus(current, TaskStatus.CANCELLED, 'cancelled');
      return;
    }
    if (!result) {
      const reason = failure?.rawMessage ?? 'the worker ended the stream without a result';
      await this.o.store.finishAttempt(attempt.id, 'broken', reason);
      const refused =
        failure?.code === Code.InvalidArgument || failure?.code === Code.FailedPrecondition;
      if (refused || this.#stopped) {
        if (this.#stopped) return;
        await this.o.store.updateTask(task.id, { error: reason });
        await this.#setStatus(current, TaskStatus.FAILED, `the worker refused the task: ${reason}`);
        return;
      }
      if (failure?.code !== Code.ResourceExhausted) this.o.pool.markDown(replica);
      log.warn({ attempt: attempt.number, reason }, 'worker stream broke');
      await this.#emit(project.id, {
        case: 'activityUpdate',
        value: {
          taskId: task.id,
          message: `attempt ${attempt.number} on ${replica.address} broke (${reason}); its events above are from that attempt`,
          isError: true,
        },
      });
      const again = attempt.number < this.o.maxDispatchAttempts;
      await this.#setStatus(
        current,
        again ? TaskStatus.PENDING : TaskStatus.FAILED,
        again ? 'dispatching again' : `gave up after ${attempt.number} broken attempts`,
      );
      return;
    }
    await this.o.store.finishAttempt(
      attempt.id,
      TaskOutcome[result.outcome].toLowerCase(),
      result.error || undefined,
    );
    await this.#settle(project, current, result);
  }

  async #settle(project: Project, task: Task, result: TaskResult): Promise<void> {
    if (result.tests) await this.o.store.updateTask(task.id, { tests: result.tests });
    switch (result.outcome) {
      case TaskOutcome.COMPLETED: {
        const merge = await mergeTaskBranch({
          dataDir: this.o.dataDir,
          repoUrl: await this.repoUrl(project),
          branch: `task/${task.id}`,
          message: `Merge task/${task.id}: ${task.title}`,
        });
        if (merge.merged) {
          await this.o.store.updateTask(task.id, {
            commitSha: result.commitSha,
            mergeSha: merge.sha,
          });
          await this.#emit(project.id, {
            case: 'commitCreated',
            value: {
              taskId: task.id,
              sha: merge.sha,
              branch: 'main',
              message: `Merge task/${task.id}: ${task.title}`,
              filesChanged: result.filesChanged,
            },
          });
          await this.#setStatus(task, TaskStatus.COMPLETED, result.summary);
          return;
        }
        const reruns = this.#conflictReruns.get(task.id) ?? 0;
        if (reruns === 0) {
          this.#conflictReruns.set(task.id, 1);
          await this.#setStatus(
            task,
            TaskStatus.PENDING,
            `merging conflicts in ${merge.files.join(', ')}; running again on the new main`,
          );
          return;
        }
        await this.#block(
          task,
          `Merging task/${task.id} into main conflicts in ${merge.files.join(', ')} even after a re-run on the new main. How should it be resolved?`,
        );
        return;
      }
      case TaskOutcome.BLOCKED:
        await this.#block(task, result.question || 'The agent asked for help without a question.');
        return;
      case TaskOutcome.CANCELLED:
        await this.#setStatus(task, TaskStatus.CANCELLED, result.error || 'cancelled');
        return;
      default:
        await this.o.store.updateTask(task.id, { error: result.error });
        await this.#setStatus(task, TaskStatus.FAILED, result.error || TaskOutcome[result.outcome]);
    }
  }

  async #block(task: Task, question: string): Promise<void> {
    const blocker = await this.o.store.createBlocker(task.projectId, task.id, question);
    await this.#emit(task.projectId, { case: 'blockerCreated', value: { blocker } });
    await this.#setStatus(task, TaskStatus.BLOCKED, question);
  }

  async #checkBudget(projectId: string): Promise<void> {
    const project = await this.#project(projectId);
    const spent = project.usage?.costUsd ?? 0;
    if (
      project.budgetUsd > 0 &&
      spent >= project.budgetUsd &&
      project.status === ProjectStatus.RUNNING
    ) {
      await this.#setProjectStatus(
        projectId,
        ProjectStatus.PAUSED,
        `the project budget of $${project.budgetUsd.toFixed(2)} is spent ($${spent.toFixed(4)}): running tasks finish, nothing new starts`,
      );
    }
  }

  async #finishIfDone(project: Project, tasks: Task[]): Promise<void> {
    if (project.status !== ProjectStatus.RUNNING || tasks.length === 0) return;
    const blocked = blockedByFailures(tasks);
    const open = tasks.filter((t) => !FINAL_STATES.has(t.status) && !blocked.has(t.id));
    if (open.length > 0) return;
    const allDone = tasks.every((t) => t.status === TaskStatus.COMPLETED);
    await this.#setProjectStatus(
      project.id,
      allDone ? ProjectStatus.COMPLETED : ProjectStatus.FAILED,
      allDone ? 'every task completed' : 'some tasks did not complete',
    );
  }

  async #emitProgress(projectId: string, tasks: Task[]): Promise<void> {
    const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length;
    await this.#emit(projectId, {
      case: 'progressUpdate',
      value: {
        total: tasks.length,
        completed: count(TaskStatus.COMPLETED),
        failed: count(TaskStatus.FAILED),
        inProgress: tasks.filter((t) => RUNNING_STATES.has(t.status)).length,
        blocked: count(TaskStatus.BLOCKED) + blockedByFailures(tasks).size,
      } as never,
    });
  }

  async #setStatus(
    task: Task,
    to: TaskStatus,
    reason: string,
    attempt = task.attempt,
  ): Promise<void> {
    const from = (await this.#task(task.id)).status;
    await this.o.store.updateTask(task.id, { status: to });
    await this.#emit(task.projectId, {
      case: 'taskStatusChanged',
      value: { taskId: task.id, from, to, reason, attempt },
    });
  }

  async #setProjectStatus(projectId: string, status: ProjectStatus, reason: string): Promise<void> {
    await this.o.store.setProjectStatus(projectId, status);
    await this.#emit(projectId, { case: 'projectStatus', value: { status, reason } });
  }

  #emit(projectId: string, payload: MessageInitShape<typeof EventSchema>['payload']) {
    return this.o.hub.append(projectId, create(EventSchema, { payload }).payload as EventPayload);
  }

  async #project(id: string): Promise<Project> {
    const project = await this.o.store.getProject(id);
    if (!project) throw new ConnectError(`project "${id}" does not exist`, Code.NotFound);
    return project;
  }

  async #task(id: string): Promise<Task> {
    const task = await this.o.store.getTask(id);
    if (!task) throw new ConnectError(`task "${id}" does not exist`, Code.NotFound);
    return task;
  }
}

const projectStatusName = (status: ProjectStatus) => ProjectStatus[status].toLowerCase();
const taskStatusName = (status: TaskStatus) => TaskStatus[status].toLowerCase().replace('_', ' ');
