import { create } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { LlmClient } from '@codeframe/llm';
import {
  BlockerAnswerSchema,
  ExecuteTaskRequestSchema,
  fromProtoUsage,
  type Project,
  type Task,
  type TaskEvent,
  TaskOutcome,
  type TaskResult,
  TaskStatus,
} from '@codeframe/proto';
import type { RepoAccess } from '@codeframe/repos';
import { ProjectRepoError } from '@codeframe/repos';
import { derivedTrace, inSpan, type Logger, recordRootSpan } from '@codeframe/runtime';
import { type Attempt, type EventPayload, isStorageFault } from '@codeframe/store';
import { Code, ConnectError } from '@connectrpc/connect';
import { AttemptMemory, failingTestOutput } from './attempt-memory.js';
import { CommitWindow } from './commit-window.js';
import { recordDispatch, recordRetry } from './lead-metrics.js';
import type { GatedMerge, MainVerification } from './main-verification.js';
import {
  type ProjectBudget,
  type StoppableRun,
  type TaskLimitSettings,
  taskLimits,
} from './project-budget.js';
import type { ProjectLedger } from './project-ledger.js';
import { TaskArtifacts } from './task-artifacts.js';
import { clearGates, withGate } from './task-gates.js';
import { type ReviewSettings, TaskReview } from './task-review.js';
import { taskStream } from './task-stream.js';
import type { Replica, WorkerPool } from './worker-pool.js';

export interface DispatchOptions {
  state: ProjectLedger;
  pool: WorkerPool;
  dataDir: string;
  logger: Logger;
  maxDispatchAttempts: number;
  repoAccess: (project: Project) => Promise<RepoAccess>;
  /** The URL of the repository as the worker at that address is sent it (ProjectRepos.forWorker). */
  workerRepoUrl: (project: Project, repo: RepoAccess, worker: string) => string;
  /** True once the lead is shutting down: a broken stream is then not the worker's fault. */
  stopped: () => boolean;
  /** Stops the project's running tasks when its budget is spent. */
  budget: ProjectBudget;
  taskLimits: TaskLimitSettings;
  /** The part of the repository map a task's request carries ('' for none). */
  repositoryMap?: (project: Project, task: Task) => Promise<string>;
  /** The reviewer's model and settings: a completed task is reviewed before its merge. */
  llm: LlmClient;
  review: ReviewSettings;
  /** Verifies main after each merge; a red main goes back and the task runs again. */
  main: MainVerification;
}

/** A dispatch in flight: cancelling it ends the worker's stream. */
export type RunningTask = StoppableRun;

/**
 * One dispatch of a task to a worker replica and what comes of it: the request (with the
 * answers to its blockers), every streamed event persisted and published, usage and the
 * project budget, then the outcome: merged into main, re-run after a conflict, blocked,
 * failed, or dispatched again when the stream broke.
 */
export class TaskDispatch {
  readonly #conflictReruns = new Map<string, number>();
  readonly #memory: AttemptMemory;
  readonly #review: TaskReview;
  readonly #artifacts: TaskArtifacts;

  constructor(private readonly o: DispatchOptions) {
    this.#memory = new AttemptMemory(o);
    this.#review = new TaskReview({ ...o, settings: o.review });
    this.#artifacts = new TaskArtifacts(o.dataDir, o.logger);
  }

  private get state(): ProjectLedger {
    return this.o.state;
  }

  /** One trace per task (docs/observability.md): each dispatch is a child of the task's
   * root span, whose ids derive from the project and task ids, and the parent of the
   * ExecuteTask call, the worker's spans, the review and the merge into main. */
  run(project: Project, task: Task, replica: Replica, run: RunningTask): Promise<void> {
    const attributes = {
      'codeframe.project_id': project.id,
      'codeframe.task_id': task.id,
      'codeframe.worker': replica.address,
    };
    return inSpan(
      'task dispatch',
      { parent: taskTrace(project, task).context, attributes },
      (span) =>
        this.#run(project, task, replica, run, (attempt) => {
          span.setAttribute('codeframe.attempt', attempt);
          // The task's root is recorded once: with its first attempt, whose number the store keeps.
          if (attempt === 1)
            recordRootSpan('task', taskTrace(project, task), {
              attributes: {
                'codeframe.project_id': project.id,
                'codeframe.task_id': task.id,
                'codeframe.task_kind': task.kind,
              },
              startTime: task.createdAt ? timestampDate(task.createdAt) : undefined,
            });
        }),
    );
  }

  /** The attempt; it settles once the worker's stream ended too (the replica's slot is
   * held until then), which may be after the task settled. */
  async #run(
    project: Project,
    task: Task,
    replica: Replica,
    run: RunningTask,
    started: (attempt: number) => void,
  ): Promise<void> {
    let streamEnd: Promise<void> | undefined;
    try {
      await this.#attempt(project, task, replica, run, started, (end) => {
        streamEnd = end;
      });
    } finally {
      await streamEnd;
    }
  }

  async #attempt(
    project: Project,
    task: Task,
    replica: Replica,
    run: RunningTask,
    started: (attempt: number) => void,
    /** Told of the rest of the stream, read on after its result. */
    readingOn: (end: Promise<void>) => void,
  ): Promise<void> {
    const log = this.o.logger.child({
      projectId: project.id,
      taskId: task.id,
      worker: replica.address,
    });
    const attempt = await this.state.store.startAttempt(task.id, replica.address);
    started(attempt.number);
    recordDispatch();
    await clearGates(this.state.store, task.id);
    await this.state.setTaskStatus(task, TaskStatus.ASSIGNED, `dispatched to ${replica.address}`, {
      attempt: attempt.number,
    });
    await this.state.emit(project.id, {
      case: 'taskAssigned',
      value: { taskId: task.id, worker: replica.address, kind: task.kind, attempt: attempt.number },
    });
    const answers = (await this.state.store.listBlockers(project.id, true))
      .filter((b) => b.taskId === task.id && b.answer)
      .map((b) =>
        create(BlockerAnswerSchema, { blockerId: b.id, question: b.question, answer: b.answer }),
      );
    const repo = await this.o.repoAccess(project);
    const memory = await this.#memory.recall(project, task, attempt);
    const baseRef = memory.baseRef ?? (answers.length > 0 ? `task/${task.id}` : 'main');
    const request = create(ExecuteTaskRequestSchema, {
      projectId: project.id,
      task: await this.state.task(task.id),
      // The worker takes the credentials out again before its git sees the URL.
      repoUrl: this.o.workerRepoUrl(project, repo, replica.address),
      // A task resumed after a blocker continues from the work it pushed before asking.
      baseRef,
      branch: `task/${task.id}`,
      answers,
      attempt: attempt.number,
      context: memory.context,
      previousAttempt: memory.previousAttempt,
      limits: taskLimits(project, this.o.taskLimits),
      repositoryMap: (await this.o.repositoryMap?.(project, task)) ?? '',
      baseTests: baseRef === 'main' ? await this.o.main.mainTests(project) : undefined,
    });
    let result: TaskResult | undefined;
    let failure: ConnectError | undefined;
    const window = new CommitWindow(STREAM_WINDOW, () => this.state.paced(project.id));
    const stream = taskStream(replica.client, request, run.controller.signal);
    try {
      for (let next = await stream.next(); !next.done; next = await stream.next()) {
        const payload = next.value.payload;
        if (payload.case === 'result') {
          // The stream's last message (worker.proto): the task settles (and merges) now,
          // while the worker cleans up its worktree before it ends the stream.
          result = payload.value;
          readingOn(readToEnd(stream, log));
          break;
        }
        if (!payload.case) continue;
        // Most events only go to the log: the next is read while they commit.
        if (!EFFECTS.has(payload.case)) {
          await window.add(this.state.emit(project.id, payload as EventPayload));
          continue;
        }
        // The others change what the store holds first; they wait for the log to catch up.
        await window.settle();
        if (payload.case === 'taskStatusChanged') {
          // A status the worker may not set is left out, of the store and of the log.
          if (!(await this.state.reportedByWorker(task, payload))) {
            log.warn({ to: payload.value.to }, 'ignored a task status the worker may not set');
          }
          continue;
        }
        if (payload.case === 'qualityGate') {
          const gates = withGate(await this.state.task(task.id), payload.value);
          await this.state.emit(project.id, payload, { task: { id: task.id, patch: { gates } } });
          continue;
        }
        if (payload.case === 'tokenUsage' && payload.value.call) {
          const call = payload.value.call;
          await this.state.store.addUsage(project.id, task.id, fromProtoUsage(call));
        }
        // A browser check's screenshot is kept as an artifact; the log gets its id, not its bytes.
        if (payload.case === 'browserCheck')
          payload.value = await this.#artifacts.keepScreenshot(task, attempt.number, payload.value);
        await this.state.emit(project.id, payload as EventPayload);
        if (payload.case === 'tokenUsage') await this.o.budget.enforce(project.id);
      }
      await window.settle();
    } catch (err) {
      // Ends the worker's stream when the lead gave up on it (a stream that broke has ended).
      await stream.return?.().catch(() => undefined);
      // The lead could not store what the worker sent: not the worker's fault. The task
      // runs again once the store writes.
      if (isStorageFault(err)) throw err;
      // What the stream sent before it broke is in the log before the task settles.
      await window.settle();
      failure = ConnectError.from(err);
    }
    const current = await this.state.task(task.id);
    if (run.cancelled) {
      await this.state.store.finishAttempt(attempt.id, 'cancelled');
      await this.state.setTaskStatus(current, TaskStatus.CANCELLED, 'cancelled');
      return;
    }
    // The project's budget stopped it: it runs again once the budget is raised.
    const requeued = await this.o.budget.requeued(project.id, run, result);
    if (requeued) {
      await this.state.store.finishAttempt(attempt.id, 'stopped', { error: requeued });
      await this.state.setTaskStatus(current, TaskStatus.PENDING, requeued);
      return;
    }
    if (!result) {
      const reason = failure?.rawMessage ?? 'the worker ended the stream without a result';
      await this.state.store.finishAttempt(attempt.id, 'broken', { error: reason });
      const refused =
        failure?.code === Code.InvalidArgument || failure?.code === Code.FailedPrecondition;
      if (refused || this.o.stopped()) {
        if (this.o.stopped()) return;
        await this.state.fail(current, `the worker refused the task: ${reason}`, reason);
        return;
      }
      if (connectionLost(failure)) this.o.pool.markDown(replica);
      log.warn({ attempt: attempt.number, reason }, 'worker stream broke');
      await this.state.emit(project.id, {
        case: 'activityUpdate',
        value: {
          taskId: task.id,
          message: `attempt ${attempt.number} on ${replica.address} broke (${reason}); its events above are from that attempt`,
          isError: true,
        },
      });
      const again = attempt.number < this.o.maxDispatchAttempts;
      if (again) recordRetry('worker_failure');
      await this.state.setTaskStatus(
        current,
        again ? TaskStatus.PENDING : TaskStatus.FAILED,
        again ? 'dispatching again' : `gave up after ${attempt.number} broken attempts`,
      );
      return;
    }
    // Completed work is reviewed before it merges; work the review sends back is kept.
    const review =
      result.outcome === TaskOutcome.COMPLETED
        ? await this.#review.before(project, current, attempt, result, run)
        : undefined;
    const outcome = review?.outcome ?? TaskOutcome[result.outcome].toLowerCase();
    // A completed attempt ends in #settle, once its merge was verified: it may be reverted.
    if (outcome !== 'completed')
      await this.state.store.finishAttempt(attempt.id, outcome, {
        error: result.error || undefined,
        testOutput: failingTestOutput(result),
        review: review?.review,
      });
    // The worker pushed before it answered: its work is kept now (a cancelled or broken
    // attempt's is kept when the task runs again, once the worker had time to push).
    if (outcome !== 'completed' && outcome !== 'blocked') await this.#memory.keep(project, attempt);
    if (review?.settle) return review.settle(await this.state.task(task.id));
    await this.#settle(project, current, result, attempt, replica);
  }

  async #settle(
    project: Project,
    task: Task,
    result: TaskResult,
    attempt: Attempt,
    replica: Replica,
  ): Promise<void> {
    if (result.tests) await this.state.store.updateTask(task.id, { tests: result.tests });
    switch (result.outcome) {
      case TaskOutcome.COMPLETED: {
        let merge: GatedMerge;
        try {
          merge = await inSpan('merge into main', {}, () =>
            this.o.main.merge(project, task, replica, {
              branch: `task/${task.id}`,
              message: `Merge task/${task.id}: ${task.title}`,
            }),
          );
        } catch (err) {
          if (!(err instanceof ProjectRepoError)) throw err;
          await this.state.store.finishAttempt(attempt.id, 'completed');
          // Not a conflict: the branch is missing, the repository unreachable or refusing.
          // The work stays on its branch; RetryTask runs the task again.
          const reason = `could not merge task/${task.id} into main: ${err.message}`;
          await this.state.fail(task, reason);
          return;
        }
        if (merge.merged && merge.red) return this.o.main.reverted(task, attempt, merge);
        await this.state.store.finishAttempt(attempt.id, 'completed');
        if (merge.merged) {
          await this.state.store.updateTask(task.id, {
            commitSha: result.commitSha,
            mergeSha: merge.sha,
            summary: result.summary,
            filesChanged: result.filesChanged,
          });
          await this.state.emit(project.id, {
            case: 'commitCreated',
            value: {
              taskId: task.id,
              sha: merge.sha,
              branch: 'main',
              message: `Merge task/${task.id}: ${task.title}`,
              filesChanged: result.filesChanged,
            },
          });
          await this.state.setTaskStatus(task, TaskStatus.COMPLETED, result.summary);
          return;
        }
        const reruns = this.#conflictReruns.get(task.id) ?? 0;
        if (reruns === 0) {
          this.#conflictReruns.set(task.id, 1);
          recordRetry('merge_conflict');
          await this.state.setTaskStatus(
            task,
            TaskStatus.PENDING,
            `merging conflicts in ${merge.files.join(', ')}; running again on the new main`,
          );
          return;
        }
        await this.state.block(
          task,
          `Merging task/${task.id} into main conflicts in ${merge.files.join(', ')} even after a re-run on the new main. How should it be resolved?`,
        );
        return;
      }
      case TaskOutcome.BLOCKED:
        await this.state.block(
          task,
          result.question || 'The agent asked for help without a question.',
        );
        return;
      case TaskOutcome.CANCELLED:
        await this.state.setTaskStatus(task, TaskStatus.CANCELLED, result.error || 'cancelled');
        return;
      default:
        await this.state.fail(task, result.error || TaskOutcome[result.outcome], result.error);
    }
  }
}

/**
 * The rest of a worker's stream after its result, read until the worker ends it (the worker
 * holds the task's slot until then). Nothing may come after the result: whatever does is
 * left out, and a stream that breaks now leaves the result as it was.
 */
async function readToEnd(stream: AsyncIterator<TaskEvent>, log: Logger): Promise<void> {
  try {
    let warned = false;
    for (let next = await stream.next(); !next.done; next = await stream.next()) {
      if (!warned) log.warn({ event: next.value.payload.case }, 'ignored events after the result');
      warned = true;
    }
  } catch {
    // Broken after the result: the task is settled by the result.
  }
}

/** The trace of every attempt of a task, whichever lead dispatches it. */
const taskTrace = (project: Project, task: Task) => derivedTrace(`task\0${project.id}\0${task.id}`);

/** Worker events that change the store's state besides the log (status, gates, usage, an
 * artifact): handled one at a time, after the events before them committed. */
const EFFECTS = new Set(['taskStatusChanged', 'qualityGate', 'tokenUsage', 'browserCheck']);
/** Events of one stream that may be committing while its next is read. */
const STREAM_WINDOW = 256;

// Codes a worker answers a task with when the task, not the worker, went wrong: INTERNAL
// (a task that broke: its checkout could not be made) and RESOURCE_EXHAUSTED (it is full).
const TASK_CODES = new Set([Code.Internal, Code.ResourceExhausted]);

/**
 * Whether a broken stream says the worker may be gone: the connection failed or was reset
 * (UNAVAILABLE, CANCELLED by the other side, UNKNOWN, DEADLINE_EXCEEDED, ...). An error the
 * worker answered the task with, or a stream it ended without a result, is the task's.
 */
export function connectionLost(failure: ConnectError | undefined): boolean {
  return failure !== undefined && !TASK_CODES.has(failure.code);
}
