import { timestampDate } from '@bufbuild/protobuf/wkt';
import { type LlmClient, LlmError, toProtoUsage, type UsageTotals } from '@codeframe/llm';
import { type Project, type Task, type TaskResult, TaskStatus } from '@codeframe/proto';
import type { RepoAccess } from '@codeframe/repos';
import { branchDiff, ProjectRepoError } from '@codeframe/repos';
import type { Logger } from '@codeframe/runtime';
import type { Attempt } from '@codeframe/store';
import { recordRetry } from './lead-metrics.js';
import type { ProjectBudget, StoppableRun } from './project-budget.js';
import type { ProjectLedger } from './project-ledger.js';
import { cappedDiff, REVIEW_SYSTEM, reviewPrompt, SUBMIT_REVIEW_TOOL } from './review-prompt.js';
import { readVerdict, type Verdict, verdictText } from './review-verdict.js';
import { askForToolCall } from './tool-answer.js';

export interface ReviewSettings {
  /** Whether a project that does not say is reviewed (CODEFRAME_REVIEW). */
  byDefault: boolean;
  /** How often a review may send a task back before it is a blocker (CODEFRAME_REVIEW_MAX_ROUNDS). */
  maxRounds: number;
}

export const DEFAULT_REVIEW: ReviewSettings = { byDefault: true, maxRounds: 2 };

export interface TaskReviewOptions {
  state: ProjectLedger;
  llm: LlmClient;
  dataDir: string;
  logger: Logger;
  repoAccess: (project: Project) => Promise<RepoAccess>;
  budget: ProjectBudget;
  settings: ReviewSettings;
}

/** How a completed attempt leaves the review. */
export interface ReviewStep {
  /** The attempt's outcome: "completed" when it merges, else why its work went back. */
  outcome: 'completed' | 'changes_requested' | 'unreviewed' | 'cancelled';
  /** What the review asked for, kept on the attempt for the next one. */
  review?: string;
  /** Settles the task when it does not merge now; absent when it merges. */
  settle?: (task: Task) => Promise<void>;
}

const MERGE: ReviewStep = { outcome: 'completed' };

/**
 * The independent review before a merge: a separate model call, with a reviewer's prompt,
 * reads the task, its criteria, its tests and the diff of its branch against main. Approved,
 * the branch merges; changes requested go back to the task as its next attempt's correction,
 * at most `maxRounds` times, then a blocker shows the last comments. A reply that is no
 * verdict (after one retry), or a review that cannot be made, is a blocker: never a merge.
 */
export class TaskReview {
  constructor(private readonly o: TaskReviewOptions) {}

  async before(
    project: Project,
    task: Task,
    attempt: Attempt,
    result: TaskResult,
    run: StoppableRun,
  ): Promise<ReviewStep> {
    if (!project.review) return MERGE;
    const { state } = this.o;
    const name = task.key || task.id;
    await state.emit(project.id, {
      case: 'activityUpdate',
      value: { taskId: task.id, message: `reviewing the diff of task/${task.id} against main` },
    });
    let verdict: Verdict;
    try {
      const diff = await this.#diff(project, task);
      if (diff === null) return this.#unreviewed(`task/${task.id} or main is missing`, name);
      const answer = await askForToolCall(this.o.llm, {
        system: REVIEW_SYSTEM,
        tool: SUBMIT_REVIEW_TOOL,
        messages: [{ role: 'user', content: reviewPrompt(task, result, diff) }],
        read: readVerdict,
        noCall: 'no verdict was submitted: call the submit_review tool',
        feedback: (reason) =>
          `That is not a verdict: ${reason}. Submit the review with submit_review.`,
        // A call that spends the budget stops the run, and so the review's second call.
        count: (usage) => this.#count(project, task, usage),
        signal: run.controller.signal,
      });
      if (!answer.ok)
        return this.#unreviewed(
          `the reviewer's answer was not a verdict, twice: ${answer.reason}`,
          name,
        );
      verdict = answer.value;
    } catch (err) {
      if (run.controller.signal.aborted) return interrupted(run, state);
      if (!(err instanceof ProjectRepoError) && !(err instanceof LlmError)) throw err;
      this.o.logger.warn({ err, taskId: task.id }, 'the review could not be made');
      return this.#unreviewed((err as Error).message, name);
    }
    await state.emit(project.id, {
      case: 'reviewCompleted',
      value: { taskId: task.id, attempt: attempt.number, ...verdict },
    });
    if (verdict.approved) return MERGE;
    const review = verdictText(verdict);
    const rounds = await this.#roundsSoFar(task, attempt);
    if (rounds >= this.o.settings.maxRounds) {
      const question = `The review of task ${name} still asks for changes after ${rounds + 1} reviews (CODEFRAME_REVIEW_MAX_ROUNDS=${this.o.settings.maxRounds}):\n${review}\nHow should it go on? Your answer goes to the task, which then runs again from its work and is reviewed again.`;
      return { outcome: 'changes_requested', review, settle: (t) => state.block(t, question) };
    }
    return {
      outcome: 'changes_requested',
      review,
      settle: (t) => {
        recordRetry('review_changes');
        return state.setTaskStatus(
          t,
          TaskStatus.PENDING,
          `the review asked for changes (round ${rounds + 1} of ${this.o.settings.maxRounds}): ${verdict.summary || verdict.comments[0]?.body}`,
        );
      },
    };
  }

  /** The review could not be made or read: a blocker, and the work waits on its branch. */
  #unreviewed(reason: string, name: string): ReviewStep {
    const question = `Task ${name} completed, but its review could not be made: ${reason}. It is not merged unreviewed. Answer to run the task again from its work and review it once more.`;
    return {
      outcome: 'unreviewed',
      review: `the review could not be made: ${reason}`,
      settle: (t) => this.o.state.block(t, question),
    };
  }

  async #diff(project: Project, task: Task): Promise<string | null> {
    const repo = await this.o.repoAccess(project);
    const diff = await branchDiff({
      dataDir: this.o.dataDir,
      repoUrl: repo.url,
      credentials: repo.credentials,
      branch: `task/${task.id}`,
    });
    return diff && cappedDiff(diff.patch, diff.numstat);
  }

  /** The review's tokens count in the task's usage and the project's budget, as an event too. */
  async #count(project: Project, task: Task, usage: UsageTotals): Promise<void> {
    const { state } = this.o;
    await state.store.addUsage(project.id, task.id, usage);
    const total = (await state.task(task.id)).usage;
    await state.emit(project.id, {
      case: 'tokenUsage',
      value: { taskId: task.id, model: this.o.llm.model, call: toProtoUsage(usage), total },
    });
    await this.o.budget.enforce(project.id);
  }

  /** Reviews that sent the task back since a person last answered one of its blockers. */
  async #roundsSoFar(task: Task, current: Attempt): Promise<number> {
    const { store } = this.o.state;
    const answered = (await store.listBlockers(task.projectId, true))
      .filter((b) => b.taskId === task.id && b.resolvedAt)
      .map((b) => timestampDate(b.resolvedAt!).getTime());
    const since = Math.max(0, ...answered);
    return (await store.listAttempts(task.id)).filter(
      (a) =>
        a.number < current.number &&
        a.outcome === 'changes_requested' &&
        a.startedAt.getTime() > since,
    ).length;
  }
}

/** A review stopped by its run's signal: cancelled, stopped by the budget (the work waits on
 * its branch for the next attempt), or the lead shutting down (it runs again on restart). */
function interrupted(run: StoppableRun, state: ProjectLedger): ReviewStep {
  if (run.cancelled) {
    return {
      outcome: 'cancelled',
      settle: (t) => state.setTaskStatus(t, TaskStatus.CANCELLED, 'cancelled'),
    };
  }
  const requeue = run.requeue;
  return {
    outcome: 'unreviewed',
    review: 'the review was interrupted before its verdict',
    settle: async (t) => {
      if (requeue) await state.setTaskStatus(t, TaskStatus.PENDING, requeue);
    },
  };
}
