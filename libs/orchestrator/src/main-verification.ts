import { create } from '@bufbuild/protobuf';
import {
  type KnownTestRun,
  KnownTestRunSchema,
  type MainVerified,
  MainVerifiedSchema,
  type Project,
  type Task,
  TaskKind,
  TaskStatus,
  type VerifyCommitResponse,
  VerifyCommitResponseSchema,
} from '@codeframe/proto';
import type { RepoAccess } from '@codeframe/repos';
import { type MergeItem, mainSha } from '@codeframe/repos';
import { type Logger, serialised } from '@codeframe/runtime';
import type { Attempt } from '@codeframe/store';
import { Code, ConnectError } from '@connectrpc/connect';
import { recordRetry, recordVerification } from './lead-metrics.js';
import { type GatedMerge, MergeQueue } from './merge-queue.js';
import type { ProjectLedger } from './project-ledger.js';
import type { Replica, WorkerPool } from './worker-pool.js';

// A main that stays green. Merges reach main through the merge queue (merge-queue.ts): stacked
// in batches on codeframe/merge-queue, the stack's tip tested on a fresh checkout on a worker
// (the lead never runs project code): a test worker when one has room, else any kind, else
// the replica that ran the task (its slot is still held, so a verification never waits for a
// slot that only a finished verification would free). Main fast-forwards only to a green
// tip, so it only ever holds verified commits; the task counts as COMPLETED, and its
// dependents start, only once its merge is in main.
//
// A merge that is red on its own is taken out (main never had it; the task's branch can be
// merged again later). The task runs again on the new main with the failing output as its
// previous attempt, once; when it is red again it becomes a blocker with that output.

export interface MainVerificationOptions {
  state: ProjectLedger;
  pool: WorkerPool;
  dataDir: string;
  logger: Logger;
  repoAccess: (project: Project) => Promise<RepoAccess>;
  /** The URL of the repository as the worker at that address is sent it (ProjectRepos.forWorker). */
  workerRepoUrl: (project: Project, repo: RepoAccess, worker: string) => string;
  /** CODEFRAME_VERIFY_MAIN: off merges without verifying (and claims nothing about main). */
  enabled: boolean;
  /** CODEFRAME_MERGE_BATCH: merges tested together at most. */
  maxBatch?: number;
}

export type { GatedMerge };

/** The attempt outcome of a merge that turned main red: the next attempt is told why. */
export const REVERTED = 'reverted';
/** Re-runs on the new main before a red main becomes a blocker. */
const RERUNS = 1;
/** The worker bounds its install and test run; this only ends a call that hangs. */
const VERIFY_TIMEOUT_MS = 30 * 60_000;
/** Replicas a verification is tried on before it counts as not done. */
const VERIFY_TRIES = 3;
const OUTPUT_IN_BLOCKER = 4_000;
const CACHED = 64;
export const DEFAULT_MERGE_BATCH = 8;

export class MainVerification {
  /** Verifications by repository and commit: the final main is usually the last merge. */
  readonly #results = new Map<string, VerifyCommitResponse>();

  /** By repository: the commit the queue last moved main to, and its test run. */
  readonly #greenMain = new Map<string, KnownTestRun>();

  readonly #queue: MergeQueue;

  constructor(private readonly o: MainVerificationOptions) {
    this.#queue = new MergeQueue({
      dataDir: o.dataDir,
      maxBatch: o.maxBatch ?? DEFAULT_MERGE_BATCH,
      mainMoved: (repo, sha, result) => {
        this.#greenMain.set(
          repo.url,
          create(KnownTestRunSchema, { commitSha: sha, tests: result.tests }),
        );
      },
      verify: o.enabled
        ? (project, repo, sha, own) => this.#verify(project, repo, sha, own)
        : undefined,
      verified: async (taskId, sha, result, reverted) => {
        const event = verified(taskId, sha, result, reverted);
        const task = await o.state.task(taskId);
        await o.state.emit(task.projectId, { case: 'mainVerified', value: event });
        return event;
      },
    });
  }

  get enabled(): boolean {
    return this.o.enabled;
  }

  /** Lands the task's merge (its branch, with the merge commit's message) through the merge
   * queue: verified, or straight into main when verification is off. */
  async merge(project: Project, task: Task, own: Replica, item: MergeItem): Promise<GatedMerge> {
    const repo = await this.o.repoAccess(project);
    return this.#queue.enqueue(project, repo, task, own, item);
  }

  /**
   * The test run of main's tip as the queue verified it, for a task starting from main: the
   * worker measures its base with it (when its checkout is at that very commit) instead of
   * running the tests again. Undefined when verification is off or main was not moved yet.
   */
  async mainTests(project: Project): Promise<KnownTestRun | undefined> {
    if (!this.o.enabled) return undefined;
    return this.#greenMain.get((await this.o.repoAccess(project)).url);
  }

  /** After a merge was red and taken out (main stayed): the task runs again, or blocks. */
  async reverted(
    task: Task,
    attempt: Attempt,
    merge: GatedMerge & { merged: true },
  ): Promise<void> {
    const { store } = this.o.state;
    const red = merge.red as MainVerified;
    const base = merge.base.slice(0, 12);
    const output = red.tests?.output ?? '';
    const error = merge.unverified
      ? `main could not be verified with its merge (${merge.unverified}); main stays at ${base}`
      : `merging it into main made main red on a fresh checkout (${red.summary}); main stays at ${base}`;
    await store.finishAttempt(attempt.id, REVERTED, { error, testOutput: output || undefined });
    if (merge.unverified) {
      await this.o.state.block(
        task,
        `The tests of main could not be run with the merge of task/${task.id} (${merge.unverified}), so main stays at ${base} rather than build on an unverified main. Answer once the workers are back to run the task again.`,
      );
      return;
    }
    const reverts = (await store.listAttempts(task.id)).filter((a) => a.outcome === REVERTED);
    if (reverts.length <= RERUNS) {
      recordRetry('red_main');
      await this.o.state.setTaskStatus(
        task,
        TaskStatus.PENDING,
        `${error}; running again on the new main with that output`,
      );
      return;
    }
    const tail =
      output.length > OUTPUT_IN_BLOCKER ? `…${output.slice(-OUTPUT_IN_BLOCKER)}` : output;
    await this.o.state.block(
      task,
      `Merging task/${task.id} into main made main's tests fail on a fresh checkout again after a re-run on the new main, so main stays at ${base}. ${red.summary}\n\nFailing output:\n${tail}\n\nHow should it be resolved?`,
    );
  }

  /**
   * The verification of the project's final main, for its last status; undefined when
   * verification is off. Throws when no worker could run it (the caller tries again later).
   */
  async final(project: Project): Promise<MainVerified | undefined> {
    if (!this.o.enabled) return undefined;
    const repo = await this.o.repoAccess(project);
    return serialised(`main-gate:${repo.url}`, async () => {
      const sha = await mainSha(repo.url, undefined, repo.credentials);
      const result = await this.#verify(project, repo, sha, undefined);
      if (result.error) throw new Error(`could not verify the final main: ${result.error}`);
      return verified('', result.commitSha, result, false);
    });
  }

  async #verify(
    project: Project,
    repo: RepoAccess,
    ref: string,
    own: Replica | undefined,
  ): Promise<VerifyCommitResponse> {
    const key = `${repo.url}\0${ref}`;
    const cached = this.#results.get(key);
    if (cached) return cached;
    // The worker takes the credentials out again before its git sees the URL.
    const request = (worker: Replica) => ({
      projectId: project.id,
      repoUrl: this.o.workerRepoUrl(project, repo, worker.address),
      ref,
    });
    let failure = 'no worker was free to run the tests';
    for (let i = 0; i < VERIFY_TRIES; i++) {
      const borrowed = this.o.pool.acquirePreferring(TaskKind.TEST);
      const replica = borrowed ?? own;
      if (!replica) break;
      try {
        const result = await replica.client.verifyCommit(request(replica), {
          timeoutMs: VERIFY_TIMEOUT_MS,
        });
        if (!result.error) this.#remember(key, result);
        recordVerification(result);
        return result;
      } catch (err) {
        const error = ConnectError.from(err);
        failure = `${replica.address} answered ${Code[error.code]}: ${error.rawMessage}`;
        if (error.code === Code.Unavailable) this.o.pool.markDown(replica);
        this.o.logger.warn({ projectId: project.id, ref, err }, 'could not verify main');
      } finally {
        if (borrowed) this.o.pool.release(borrowed);
      }
    }
    recordVerification({ passed: false, error: failure });
    return create(VerifyCommitResponseSchema, {
      passed: false,
      commitSha: ref,
      summary: `not verified: ${failure}`,
      error: failure,
    });
  }

  #remember(key: string, result: VerifyCommitResponse): void {
    this.#results.set(key, result);
    for (const old of this.#results.keys()) {
      if (this.#results.size <= CACHED) break;
      this.#results.delete(old);
    }
  }
}

function verified(
  taskId: string,
  sha: string,
  result: VerifyCommitResponse,
  reverted: boolean,
): MainVerified {
  const state = result.passed ? 'main is green' : 'main is red';
  return create(MainVerifiedSchema, {
    taskId,
    commitSha: sha,
    passed: result.passed,
    tests: result.tests,
    summary: `${state} at ${sha.slice(0, 12)}: ${result.summary}`,
    reverted,
  });
}
