import { addUsage, emptyUsage, type LlmClient, toProtoUsage } from '@codeframe/llm';
import { type Blocker, type Project, ProjectStatus, type Task, TaskStatus } from '@codeframe/proto';
import type { RepoUrlSettings } from '@codeframe/repos';
import { DEFAULT_REPO_MAP_TOKENS, ProjectRepos, RepoMaps } from '@codeframe/repos';
import { backoffDelay, type Logger } from '@codeframe/runtime';
import { isFenced, isStorageFault, type Store } from '@codeframe/store';
import { Code, ConnectError } from '@connectrpc/connect';
import type { EventHub } from './event-hub.js';
import { gaugeSource, recordRetry } from './lead-metrics.js';
import { MainVerification } from './main-verification.js';
import { OrchestratorError } from './orchestrator-error.js';
import { planFromPrd, planningEnvironment } from './planner.js';
import {
  isProjectBlocker,
  NO_TASK_LIMITS,
  notAnswerable,
  ProjectBudget,
  type TaskLimitSettings,
} from './project-budget.js';
import { ProjectLedger } from './project-ledger.js';
import { TaskArtifacts } from './task-artifacts.js';
import { type RunningTask, TaskDispatch } from './task-dispatch.js';
import { blockedByFailures, readyTasks } from './task-graph.js';
import { FINAL_STATES, RUNNING_STATES, statusName } from './task-lifecycle.js';
import { DEFAULT_REVIEW, type ReviewSettings } from './task-review.js';
import type { WorkerPool } from './worker-pool.js';

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
  /** Which repository URLs CreateProject accepts; the defaults refuse local and private ones. */
  repoUrls?: RepoUrlSettings;
  /** What every task is dispatched with besides its share of the project's budget. */
  taskLimits?: TaskLimitSettings;
  /** The size of an existing repository's map for the planner (a task gets half); 0: none. */
  repoMapTokens?: number;
  /** Whether completed tasks are reviewed before they merge, and how often sent back. */
  review?: ReviewSettings;
  /** Whether merges are verified before main takes them, and main at the end (CODEFRAME_VERIFY_MAIN). */
  verifyMain?: boolean;
  /** Merges verified together at most (CODEFRAME_MERGE_BATCH). */
  mergeBatch?: number;
  /** Whether this lead runs the project (it holds its lease); absent: it runs every project. */
  owns?: (projectId: string) => boolean;
}

const RETRY_PLACEMENT_MS = 1_000;
/** Passes that failed (the disk full, the database locked) are tried again, ever later. */
const RETRY_PASS = { baseMs: 250, maxMs: 15_000 };

/**
 * Plans projects and runs their task graphs: ready tasks go to worker replicas of their
 * kind under the project's concurrency cap, every worker event is persisted and published,
 * completed branches are merged into main before their dependents start, failures block
 * dependents, broken workers get their task re-dispatched.
 */
export class Orchestrator {
  readonly #running = new Map<string, RunningTask>();
  /** Per project: tasks ready at its last scheduling pass that found no slot or replica. */
  readonly #waiting = new Map<string, number>();
  /** What /metrics reads of this orchestrator (lead-metrics.ts). */
  readonly gauges = gaugeSource({
    running: () => this.#running.size,
    waiting: () => [...this.#waiting.values()].reduce((n, w) => n + w, 0),
    // Read from the store at each scrape (one query): the counts of every lead sharing it.
    tasksByStatus: async () => {
      const counts = new Map<string, number>();
      for (const [status, n] of await this.o.store.countTasksByStatus())
        counts.set(TaskStatus[status] ?? 'UNSPECIFIED', n);
      return counts;
    },
  });
  readonly #reportedBlocked = new Set<string>();
  readonly #scheduling = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  readonly #lastProgress = new Map<string, string>();
  readonly #faults = new Map<string, { failures: number; at: number }>();
  #stopped = false;

  readonly state: ProjectLedger;
  readonly repos: ProjectRepos;
  readonly budget: ProjectBudget;
  readonly review: ReviewSettings;
  /** The files kept for tasks (browser-check screenshots). */
  readonly artifacts: TaskArtifacts;
  readonly #dispatch: TaskDispatch;
  readonly #maps: RepoMaps;
  readonly main: MainVerification;

  constructor(private readonly o: OrchestratorOptions) {
    this.state = new ProjectLedger(o.store, o.hub);
    this.review = o.review ?? DEFAULT_REVIEW;
    this.repos = new ProjectRepos({ dataDir: o.dataDir, store: o.store, settings: o.repoUrls });
    this.artifacts = new TaskArtifacts(o.dataDir);
    this.budget = new ProjectBudget({
      state: this.state,
      running: () => this.#running.values(),
      schedule: (projectId) => this.schedule(projectId),
    });
    this.#maps = new RepoMaps({
      dataDir: o.dataDir,
      logger: o.logger,
      repoAccess: (project) => this.repos.access(project),
      tokens: o.repoMapTokens ?? DEFAULT_REPO_MAP_TOKENS,
    });
    this.main = new MainVerification({
      state: this.state,
      pool: o.pool,
      dataDir: o.dataDir,
      logger: o.logger,
      repoAccess: (project) => this.repos.access(project),
      workerRepoUrl: (project, repo, worker) => this.repos.forWorker(project, repo, worker),
      enabled: o.verifyMain ?? true,
      maxBatch: o.mergeBatch,
    });
    this.#dispatch = new TaskDispatch({
      state: this.state,
      pool: o.pool,
      dataDir: o.dataDir,
      logger: o.logger,
      maxDispatchAttempts: o.maxDispatchAttempts,
      repoAccess: (project) => this.repos.access(project),
      workerRepoUrl: (project, repo, worker) => this.repos.forWorker(project, repo, worker),
      stopped: () => this.#stopped,
      budget: this.budget,
      taskLimits: o.taskLimits ?? NO_TASK_LIMITS,
      repositoryMap: (project, task) => this.#maps.forTask(project, task),
      llm: o.llm,
      review: this.review,
      main: this.main,
    });
  }

  async plan(projectId: string): Promise<Task[]> {
    const project = await this.state.project(projectId);
    if (project.status !== ProjectStatus.CREATED && project.status !== ProjectStatus.PLANNED) {
      throw new OrchestratorError(
        'conflict',
        `project "${projectId}" is ${projectStatusName(project.status)}: only a project that has not started can be planned`,
      );
    }
    await this.state.setProjectStatus(
      projectId,
      ProjectStatus.PLANNING,
      'asking the model for a plan',
    );
    try {
      await this.repos.url(project);
      const environment = planningEnvironment(this.o.pool.sandboxes());
      const repo = await this.#maps.forPlanning(project);
      let planned = emptyUsage();
      const plan = await planFromPrd(this.o.llm, project.prd, {
        environment,
        repo,
        // Each call counts as it is made, so a plan refused in the end is paid for too; its
        // tokens are an event as well, so a watcher's totals match the project's.
        count: async (call) => {
          planned = addUsage(planned, call);
          await this.o.store.addUsage(projectId, undefined, call);
          await this.state.emit(projectId, {
            case: 'tokenUsage',
            value: {
              taskId: '',
              model: this.o.llm.model,
              call: toProtoUsage(call),
              total: toProtoUsage(planned),
            },
          });
        },
      });
      const tasks = await this.o.store.savePlan(projectId, plan.tasks);
      await this.state.emit(projectId, { case: 'planReady', value: { tasks } });
      await this.state.setProjectStatus(projectId, ProjectStatus.PLANNED, `${tasks.length} tasks`);
      return tasks;
    } catch (err) {
      await this.state.setProjectStatus(
        projectId,
        ProjectStatus.CREATED,
        `planning failed: ${(err as Error).message}`,
      );
      throw new OrchestratorError('conflict', `planning failed: ${(err as Error).message}`);
    }
  }

  async start(projectId: string): Promise<Project> {
    let project = await this.state.project(projectId);
    if (project.status === ProjectStatus.CREATED) {
      await this.plan(projectId);
      project = await this.state.project(projectId);
    }
    if (project.status === ProjectStatus.PLANNED || project.status === ProjectStatus.PAUSED) {
      await this.state.setProjectStatus(projectId, ProjectStatus.RUNNING, 'started');
    } else if (project.status !== ProjectStatus.RUNNING) {
      throw new OrchestratorError(
        'conflict',
        `project "${projectId}" is ${projectStatusName(project.status)} and cannot start`,
      );
    }
    this.schedule(projectId);
    return this.state.project(projectId);
  }

  async pause(projectId: string, reason = 'paused'): Promise<Project> {
    const project = await this.state.project(projectId);
    if (project.status !== ProjectStatus.RUNNING) {
      throw new OrchestratorError(
        'conflict',
        `project "${projectId}" is ${projectStatusName(project.status)}, not running`,
      );
    }
    await this.state.setProjectStatus(projectId, ProjectStatus.PAUSED, reason);
    return this.state.project(projectId);
  }

  async resume(projectId: string): Promise<Project> {
    const project = await this.state.project(projectId);
    if (project.status !== ProjectStatus.PAUSED) {
      throw new OrchestratorError(
        'conflict',
        `project "${projectId}" is ${projectStatusName(project.status)}, not paused`,
      );
    }
    await this.budget.checkResume(projectId);
    return this.start(projectId);
  }

  async cancelTask(taskId: string): Promise<Task> {
    const task = await this.state.task(taskId);
    if (FINAL_STATES.has(task.status)) {
      throw new OrchestratorError(
        'conflict',
        `task "${taskId}" already ended ${statusName(task.status)}`,
      );
    }
    const run = this.#running.get(taskId);
    if (run) {
      run.cancelled = true;
      run.controller.abort(new ConnectError('the task was cancelled', Code.Canceled));
    } else {
      await this.state.setTaskStatus(task, TaskStatus.CANCELLED, 'cancelled');
      this.schedule(task.projectId);
    }
    return this.state.task(taskId);
  }

  async retryTask(taskId: string): Promise<Task> {
    const task = await this.state.task(taskId);
    if (task.status !== TaskStatus.FAILED && task.status !== TaskStatus.CANCELLED) {
      throw new OrchestratorError(
        'conflict',
        `task "${taskId}" is ${statusName(task.status)}: only a failed or cancelled task can be retried`,
      );
    }
    recordRetry('retry_requested');
    await this.state.setTaskStatus(task, TaskStatus.PENDING, 'retry requested');
    const project = await this.state.project(task.projectId);
    if (project.status === ProjectStatus.FAILED) {
      await this.state.setProjectStatus(
        project.id,
        ProjectStatus.RUNNING,
        `retrying task ${task.key || task.id}`,
      );
    }
    this.schedule(task.projectId);
    return this.state.task(taskId);
  }

  async answerBlocker(blockerId: string, answer: string): Promise<Blocker> {
    const open = await this.o.store.getBlocker(blockerId);
    if (open && isProjectBlocker(open)) throw notAnswerable(open);
    const blocker = await this.o.store.answerBlocker(blockerId, answer);
    await this.state.emit(blocker.projectId, { case: 'blockerResolved', value: { blocker } });
    const task = await this.state.task(blocker.taskId);
    if (task.status === TaskStatus.BLOCKED) {
      await this.state.setTaskStatus(task, TaskStatus.PENDING, 'the blocker was answered');
      await this.state.emit(task.projectId, { case: 'taskUnblocked', value: { taskId: task.id } });
      this.schedule(task.projectId);
    }
    return blocker;
  }

  /** After a restart: tasks that were in flight go back to pending, running projects resume. */
  async recover(): Promise<void> {
    for (const project of await this.o.store.listProjects()) {
      await this.adopt(project.id, 'the lead restarted');
    }
  }

  /**
   * Takes up a project whose last runner stopped (this lead before a restart, or another
   * that lost its lease): planning it was doing is undone, the tasks it had in flight go back
   * to pending, and a running project carries on.
   */
  async adopt(projectId: string, why: string): Promise<void> {
    const project = await this.state.project(projectId);
    if (project.status === ProjectStatus.PLANNING) {
      await this.state.setProjectStatus(projectId, ProjectStatus.CREATED, `${why} while planning`);
    }
    if (project.status !== ProjectStatus.RUNNING && project.status !== ProjectStatus.PAUSED) return;
    await this.#releaseOrphans(
      projectId,
      await this.o.store.listTasks(projectId),
      `${why}; dispatching again`,
    );
    this.schedule(projectId);
  }

  /** Another lead runs the project now: this one stops its dispatches (it can write nothing more for it). */
  relinquish(projectId: string): void {
    for (const run of this.#running.values()) {
      if (run.projectId !== projectId) continue;
      run.controller.abort(
        new ConnectError('another lead took the project over', Code.Unavailable),
      );
    }
    this.#lastProgress.delete(projectId);
  }

  stop(): void {
    this.#stopped = true;
    for (const run of this.#running.values())
      run.controller.abort(new ConnectError('the lead is shutting down', Code.Unavailable));
  }

  /** Dispatches what is ready now; calls while one runs are folded into one more pass. */
  schedule(projectId: string): void {
    if (this.#stopped || this.o.owns?.(projectId) === false) return;
    if (this.#scheduling.has(projectId)) {
      this.#again.add(projectId);
      return;
    }
    const pass = this.#schedulePass(projectId)
      // Nothing else would come back to this project: try again, with backoff.
      .catch((err) => this.#retryLater(projectId, err, 'scheduling failed; trying again'))
      .finally(() => {
        this.#scheduling.delete(projectId);
        if (this.#again.delete(projectId)) this.schedule(projectId);
      });
    this.#scheduling.set(projectId, pass);
  }

  /** Schedules the project again after a backoff that grows while faults keep coming. */
  #retryLater(projectId: string, err: unknown, message: string): void {
    if (isFenced(err)) {
      this.#lost(projectId, err);
      return;
    }
    const now = Date.now();
    const last = this.#faults.get(projectId);
    // Faults further apart than the longest delay are a new episode: start short again.
    const failures = last && now - last.at < 2 * RETRY_PASS.maxMs ? last.failures + 1 : 1;
    this.#faults.set(projectId, { failures, at: now });
    const delayMs = Math.round(backoffDelay(failures, RETRY_PASS));
    const level = isStorageFault(err) ? 'warn' : 'error';
    this.o.logger[level]({ err, projectId, failures, delayMs }, message);
    setTimeout(() => this.schedule(projectId), delayMs).unref();
  }

  async #schedulePass(projectId: string): Promise<void> {
    const project = await this.state.project(projectId);
    const tasks = await this.#releaseOrphans(
      projectId,
      await this.o.store.listTasks(projectId),
      'the lead could not record the end of its last dispatch; dispatching again',
    );
    const blockedByFailure = blockedByFailures(tasks);
    for (const [taskId, failed] of blockedByFailure) {
      if (this.#reportedBlocked.has(taskId)) continue;
      const reason = `depends on ${failed.map((id) => tasks.find((t) => t.id === id)?.key ?? id).join(', ')}, which did not complete`;
      await this.state.emit(projectId, {
        case: 'taskBlocked',
        value: { taskId, blockedBy: failed, reason },
      });
      this.#reportedBlocked.add(taskId);
    }
    await this.#reportUnblocked(projectId, tasks, blockedByFailure);
    await this.#emitProgress(projectId, tasks, blockedByFailure.size);
    // Counted again below once the pass dispatches; a paused or spent project waits on nothing.
    this.#waiting.delete(projectId);
    if (project.status !== ProjectStatus.RUNNING) return;
    if (readyTasks(tasks).length > 0 && (await this.budget.enforce(projectId))) return;
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
      const run = { projectId, controller: new AbortController(), cancelled: false };
      this.#running.set(task.id, run);
      let faulted: unknown;
      void this.#dispatch
        .run(project, task, replica, run)
        .catch(async (err) => {
          if (isStorageFault(err) || isFenced(err)) faulted = err;
          else await this.#dispatchFailed(task, err);
        })
        .finally(() => {
          this.#running.delete(task.id);
          this.o.pool.release(replica);
          // A storage fault is not the task's: the next pass (later) puts it back to pending.
          if (faulted) this.#retryLater(projectId, faulted, 'a storage fault stopped a dispatch');
          else this.schedule(projectId);
        });
    }
    const waiting = readyTasks(tasks).filter((t) => !this.#running.has(t.id)).length;
    if (waiting > 0) this.#waiting.set(projectId, waiting);
    else this.#waiting.delete(projectId);
    if (unplaced) setTimeout(() => this.schedule(projectId), RETRY_PLACEMENT_MS).unref();
    if (running === 0 && readyTasks(tasks).length === 0) await this.#finishIfDone(project, tasks);
  }

  /**
   * Tasks the store has running that this lead runs nothing for (after a restart, or a
   * storage fault that stopped the lead recording how their dispatch ended) go back to
   * pending, to run again. (A dispatch is in #running from before its first write until
   * after its last.) Returns the project's tasks as they now are.
   */
  async #releaseOrphans(projectId: string, tasks: Task[], reason: string): Promise<Task[]> {
    const orphans = tasks.filter((t) => RUNNING_STATES.has(t.status) && !this.#running.has(t.id));
    for (const task of orphans) await this.state.setTaskStatus(task, TaskStatus.PENDING, reason);
    return orphans.length > 0 ? this.o.store.listTasks(projectId) : tasks;
  }

  /** A dependent reported blocked is unblocked once it is ready again: its failed
   * dependency was retried and completed. (One that failed again stays blocked, unreported.) */
  async #reportUnblocked(projectId: string, tasks: Task[], blocked: Map<string, string[]>) {
    const ready = new Set(readyTasks(tasks).map((t) => t.id));
    for (const task of tasks) {
      if (!this.#reportedBlocked.has(task.id) || blocked.has(task.id)) continue;
      if (ready.has(task.id)) {
        await this.state.emit(projectId, { case: 'taskUnblocked', value: { taskId: task.id } });
      } else if (!FINAL_STATES.has(task.status)) continue;
      this.#reportedBlocked.delete(task.id);
    }
  }

  /** The store refused a write: another lead owns the project now, and carries it on. */
  #lost(projectId: string, err: unknown): void {
    this.o.logger.warn(
      { projectId, reason: (err as Error).message },
      'another lead runs the project now',
    );
    this.relinquish(projectId);
  }

  /** A fault of the lead's own while running a task fails that task, never the lead. */
  async #dispatchFailed(task: Task, err: unknown): Promise<void> {
    const reason = `the lead could not run the task: ${(err as Error).message ?? err}`;
    this.o.logger.error({ err, projectId: task.projectId, taskId: task.id }, reason);
    try {
      await this.state.fail(await this.state.task(task.id), reason);
    } catch (again) {
      this.o.logger.error({ err: again, taskId: task.id }, 'could not record the failure');
    }
  }

  async #finishIfDone(project: Project, tasks: Task[]): Promise<void> {
    if (project.status !== ProjectStatus.RUNNING || tasks.length === 0) return;
    const blocked = blockedByFailures(tasks);
    const open = tasks.filter((t) => !FINAL_STATES.has(t.status) && !blocked.has(t.id));
    if (open.length > 0) return;
    const allDone = tasks.every((t) => t.status === TaskStatus.COMPLETED);
    // Never COMPLETED on a red main: the final main's tests run on a fresh checkout first.
    const main = allDone ? await this.main.final(project) : undefined;
    const green = allDone && (!main || main.passed);
    await this.state.setProjectStatus(
      project.id,
      green ? ProjectStatus.COMPLETED : ProjectStatus.FAILED,
      !allDone
        ? 'some tasks did not complete'
        : `every task completed${main ? (green ? `; ${main.summary}` : `, but ${main.summary}`) : ''}`,
      main,
    );
  }

  /** A progress_update when the counts changed since the last one, not on every pass. */
  async #emitProgress(projectId: string, tasks: Task[], blocked: number): Promise<void> {
    const count = (s: TaskStatus) => tasks.filter((t) => t.status === s).length;
    const progress = {
      total: tasks.length,
      completed: count(TaskStatus.COMPLETED),
      failed: count(TaskStatus.FAILED),
      inProgress: tasks.filter((t) => RUNNING_STATES.has(t.status)).length,
      blocked: count(TaskStatus.BLOCKED) + blocked,
    };
    const key = JSON.stringify(progress);
    if (this.#lastProgress.get(projectId) === key) return;
    await this.state.emit(projectId, { case: 'progressUpdate', value: progress });
    this.#lastProgress.set(projectId, key);
  }
}

const projectStatusName = (status: ProjectStatus) => ProjectStatus[status].toLowerCase();
