import { create } from '@bufbuild/protobuf';
import {
  type Blocker,
  type Project,
  ProjectStatus,
  type TaskLimits,
  TaskLimitsSchema,
  TaskOutcome,
  type TaskResult,
} from '@codeframe/proto';
import { Code, ConnectError } from '@connectrpc/connect';
import { OrchestratorError } from './orchestrator-error.js';
import type { ProjectLedger } from './project-ledger.js';

/** What the lead sends every task besides its share of the budget; 0: the worker's default. */
export interface TaskLimitSettings {
  /** A task's model cost cap in USD (CODEFRAME_TASK_BUDGET_USD); 0: none. */
  taskBudgetUsd: number;
  /** Model turns of a task (CODEFRAME_TASK_MAX_TURNS). */
  maxTurns: number;
  /** A task's wall-clock limit (CODEFRAME_TASK_DEADLINE_MS). */
  deadlineMs: number;
}

export const NO_TASK_LIMITS: TaskLimitSettings = { taskBudgetUsd: 0, maxTurns: 0, deadlineMs: 0 };

/** The question of the blocker a project waits on once its budget is spent. */
export const BUDGET_BLOCKER = 'budget spent: raise it to continue';

/** A dispatch the budget can stop: `requeue` says why it was stopped to run again later. */
export interface StoppableRun {
  projectId: string;
  controller: AbortController;
  cancelled: boolean;
  requeue?: string;
}

const usd = (amount: number) => `$${amount.toFixed(amount < 1 ? 4 : 2)}`;
const spentOf = (project: Project) => project.usage?.costUsd ?? 0;

/** What is left of the project's budget (never below 0); Infinity when it has none. */
export function budgetLeft(project: Project): number {
  if (project.budgetUsd <= 0) return Number.POSITIVE_INFINITY;
  return Math.max(0, project.budgetUsd - spentOf(project));
}

/** Sums of float costs may fall short of the budget by a rounding error: that is spent too. */
const ROUNDING_USD = 1e-9;

export const budgetSpent = (project: Project) => budgetLeft(project) < ROUNDING_USD;

/** A task's limits: the lead's per-task cap, never more than what is left of the project's. */
export function taskLimits(project: Project, settings: TaskLimitSettings): TaskLimits {
  const cap = Math.min(settings.taskBudgetUsd || Number.POSITIVE_INFINITY, budgetLeft(project));
  return create(TaskLimitsSchema, {
    // 0 would mean no cap: a task dispatched as the budget ran out may make one call.
    maxCostUsd: Number.isFinite(cap) ? Math.max(cap, Number.MIN_VALUE) : 0,
    maxTurns: settings.maxTurns,
    deadlineMs: BigInt(settings.deadlineMs),
  });
}

/** A project's own blocker (no task): the budget one. */
export const isProjectBlocker = (blocker: Blocker) => !blocker.taskId;

export interface ProjectBudgetOptions {
  state: ProjectLedger;
  /** The dispatches in flight, of every project. */
  running: () => Iterable<StoppableRun>;
  /** Dispatches what is ready now. */
  schedule: (projectId: string) => void;
}

/**
 * Holds a project to its budget: once it is spent, its running tasks are stopped (their
 * streams cancelled; they go back to pending), and the project is paused on a blocker of its
 * own until SetProjectBudget leaves room again, which resolves the blocker and resumes it.
 */
export class ProjectBudget {
  readonly #blocking = new Map<string, Promise<void>>();

  constructor(private readonly o: ProjectBudgetOptions) {}

  /** After usage: true when the budget is spent, the project's tasks stopped and it blocked. */
  async enforce(projectId: string): Promise<boolean> {
    const project = await this.o.state.project(projectId);
    if (!budgetSpent(project)) return false;
    const reason = `${BUDGET_BLOCKER} (${usd(spentOf(project))} of ${usd(project.budgetUsd)} used)`;
    for (const run of this.o.running()) {
      if (run.projectId !== projectId || run.cancelled || run.requeue) continue;
      run.requeue = reason;
      run.controller.abort(new ConnectError('the project budget is spent', Code.Canceled));
    }
    // Usage of several tasks can arrive at once: one of them blocks the project.
    let blocking = this.#blocking.get(projectId);
    if (!blocking) {
      blocking = this.#block(project, reason).finally(() => this.#blocking.delete(projectId));
      this.#blocking.set(projectId, blocking);
    }
    await blocking;
    return true;
  }

  /**
   * Whether a dispatch that ended goes back to pending rather than settling: the budget
   * stopped it (unless it completed first), or it ran out of the project's share it was sent.
   */
  async requeued(
    projectId: string,
    run: StoppableRun,
    result: TaskResult | undefined,
  ): Promise<string | undefined> {
    if (run.requeue && result?.outcome !== TaskOutcome.COMPLETED) return run.requeue;
    if (result?.outcome === TaskOutcome.BUDGET_EXHAUSTED && (await this.enforce(projectId)))
      return run.requeue ?? BUDGET_BLOCKER;
    return undefined;
  }

  /** A spent budget refuses a resume: only a new budget lets the project go on. */
  async checkResume(projectId: string): Promise<void> {
    const project = await this.o.state.project(projectId);
    if (budgetSpent(project)) throw spentError(project);
  }

  /** Sets the budget; when that leaves room, the budget blocker is resolved and it resumes. */
  async set(projectId: string, budgetUsd: number): Promise<Project> {
    const { state } = this.o;
    const project = await state.store.setProjectBudget(projectId, budgetUsd);
    const running = project.status === ProjectStatus.RUNNING;
    if (budgetSpent(project)) {
      if (running || project.status === ProjectStatus.PAUSED) await this.enforce(projectId);
      return state.project(projectId);
    }
    const shown = budgetUsd > 0 ? usd(budgetUsd) : 'no budget';
    const blockers = (await state.store.listBlockers(projectId, false)).filter(isProjectBlocker);
    for (const open of blockers) {
      const blocker = await state.store.answerBlocker(open.id, `the budget was set to ${shown}`);
      await state.emit(projectId, { case: 'blockerResolved', value: { blocker } });
    }
    if (blockers.length > 0 && project.status === ProjectStatus.PAUSED) {
      await state.setProjectStatus(
        projectId,
        ProjectStatus.RUNNING,
        `the budget was set to ${shown}; continuing`,
      );
      this.o.schedule(projectId);
    }
    return state.project(projectId);
  }

  async #block(project: Project, reason: string): Promise<void> {
    const { state } = this.o;
    // The blocker first: whoever sees the project paused finds what it waits on.
    const open = await state.store.listBlockers(project.id, false);
    if (!open.some(isProjectBlocker)) {
      const blocker = await state.store.createBlocker(project.id, '', reason);
      await state.emit(project.id, { case: 'blockerCreated', value: { blocker } });
    }
    if (project.status === ProjectStatus.RUNNING)
      await state.setProjectStatus(project.id, ProjectStatus.PAUSED, reason);
  }
}

/** Why a project waiting on its budget cannot go on (FAILED_PRECONDITION). */
export function spentError(project: Project): OrchestratorError {
  return new OrchestratorError(
    'conflict',
    `project "${project.id}" has spent its budget (${usd(spentOf(project))} of ${usd(project.budgetUsd)}): raise it with SetProjectBudget (codeframe budget ${project.id} <usd>) to continue`,
  );
}

/** The answer to AnswerBlocker on the budget blocker: it is resolved by a new budget. */
export function notAnswerable(blocker: Blocker): OrchestratorError {
  return new OrchestratorError(
    'conflict',
    `blocker "${blocker.id}" is the project's spent budget: raise it with SetProjectBudget (codeframe budget ${blocker.projectId} <usd>), which resolves it`,
  );
}
