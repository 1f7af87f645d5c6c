import type { MainVerified, Project, Task, VerifyCommitResponse } from '@codeframe/proto';
import type { RepoAccess } from '@codeframe/repos';
import {
  branchHeads,
  MERGE_QUEUE,
  type MergeItem,
  type MergeOutcome,
  mergeTaskBranches,
  moveBranch,
  unknownBranch,
} from '@codeframe/repos';
import { serialised } from '@codeframe/runtime';
import { gaugeSource, recordMerge } from './lead-metrics.js';
import type { Replica } from './worker-pool.js';

// The one lane by which merges reach main. The merges waiting when the lane comes round are
// merged in one go (the heads read once, the branch moved once, by compare-and-swap, to the
// last of them), one merge commit per task in the order they came; tasks that depend on
// each other are never in one batch: a dependent starts only once its dependency landed.
//
// With verification, the way merge queues do it (bors, GitHub's merge queue), the batch is
// stacked, in the order it came, on the branch codeframe/merge-queue (which starts at main),
// and the stack's tip is tested once on a worker. Green, main fast-forwards to the tip by
// compare-and-swap: main only ever holds verified commits, and every merge of the batch is
// done. Red, main stays where it was and the batch is split in halves, each landed (and
// tested) again, down to the merge that breaks it: a batch of n with one bad merge costs
// about 2·log2(n) runs instead of n.

/** A merge that went through the queue; `red` when it was taken out again because its
 * batch alone with it was red (with `unverified`, why its tests could not be run at all). */
export type GatedMerge = MergeOutcome & { red?: MainVerified; unverified?: string };

export interface MergeQueueOptions {
  dataDir: string;
  /** Runs the project's tests on `sha` on a worker (`own` as the last resort); without it,
   * merges go straight into main. */
  verify?: (
    project: Project,
    repo: RepoAccess,
    sha: string,
    own: Replica | undefined,
  ) => Promise<VerifyCommitResponse>;
  /** Emits the event of a merge's verification (per task; `reverted` when taken out). */
  verified: (
    taskId: string,
    sha: string,
    result: VerifyCommitResponse,
    reverted: boolean,
  ) => Promise<MainVerified>;
  /** Merges at most this many per test run. */
  maxBatch: number;
  /** Main was moved to `sha`, whose tests `result` ran. */
  mainMoved?: (repo: RepoAccess, sha: string, result: VerifyCommitResponse) => void;
}

interface Waiting {
  task: Task;
  own: Replica;
  /** The task's branch and its merge commit's message. */
  item: MergeItem;
  done: (merge: GatedMerge) => void;
  fail: (err: unknown) => void;
}

/** A merge stacked on the queue's branch: its outcome there. */
type Stacked = { entry: Waiting; outcome: MergeOutcome & { merged: true } };

export class MergeQueue {
  readonly #waiting = new Map<string, Waiting[]>();
  /** Read by codeframe_merge_queue_depth: the merges not yet in a batch being landed. */
  readonly gauges = gaugeSource({
    mergesWaiting: () => [...this.#waiting.values()].reduce((n, q) => n + q.length, 0),
  });

  constructor(private readonly o: MergeQueueOptions) {}

  /** Lands the task's merge once verified with whatever else waits; resolves its outcome. */
  enqueue(
    project: Project,
    repo: RepoAccess,
    task: Task,
    own: Replica,
    item: MergeItem,
  ): Promise<GatedMerge> {
    return new Promise<GatedMerge>((done, fail) => {
      const key = gateKey(repo);
      const queue = this.#waiting.get(key);
      const entry = {
        task,
        own,
        item,
        done: (outcome: GatedMerge) => {
          recordMerge(outcome);
          done(outcome);
        },
        fail: (error: unknown) => {
          recordMerge(error instanceof Error ? error : new Error(String(error)));
          fail(error);
        },
      };
      if (queue) {
        queue.push(entry);
        return;
      }
      this.#waiting.set(key, [entry]);
      // After this turn of the event loop, so that merges arriving together form one batch.
      setImmediate(() => void this.#drain(project, repo, key));
    });
  }

  /** Lands batches while merges wait; the first waiting merge started the drain. */
  async #drain(project: Project, repo: RepoAccess, key: string): Promise<void> {
    for (;;) {
      const queue = this.#waiting.get(key) ?? [];
      if (queue.length === 0) {
        this.#waiting.delete(key);
        return;
      }
      const batch = queue.splice(0, this.o.maxBatch);
      try {
        await serialised(key, () => this.#land(project, repo, batch));
      } catch (err) {
        // The repository refused or broke: every merge of the batch not yet told is told
        // (a promise already settled ignores it).
        for (const entry of batch) entry.fail(err);
      }
    }
  }

  /** Merges `batch` into main; with verification, stacks it on main, tests the tip and
   * moves main to it when green, and splits it when red. */
  async #land(project: Project, repo: RepoAccess, batch: Waiting[]): Promise<void> {
    const access = {
      dataDir: this.o.dataDir,
      repoUrl: repo.url,
      credentials: repo.credentials,
      fence: repo.fence,
    };
    const { verify } = this.o;
    const merge = (into: string) =>
      mergeTaskBranches({ ...access, into, items: batch.map((entry) => entry.item) });
    if (!verify) {
      for (const [i, outcome] of (await merge('main')).entries()) settle(batch[i]!, outcome);
      return;
    }
    const main = (await branchHeads(access, ['main'])).get('main');
    if (!main) throw unknownBranch('main', repo.url);
    await moveBranch({ ...access, name: MERGE_QUEUE, to: main });
    const stacked: Stacked[] = [];
    for (const [i, outcome] of (await merge(MERGE_QUEUE)).entries()) {
      const entry = batch[i]!;
      // A conflict with the stack, or nothing new: told at once, not part of the test run.
      if (outcome instanceof Error || !outcome.merged || outcome.sha === outcome.base)
        settle(entry, outcome);
      else stacked.push({ entry, outcome });
    }
    const tip = stacked.at(-1)?.outcome.sha;
    if (!tip) return;
    const result = await verify(project, repo, tip, stacked[0]!.entry.own);
    if (result.passed) {
      await moveBranch({ ...access, name: 'main', from: main, to: tip });
      this.o.mainMoved?.(repo, tip, result);
      for (const { entry, outcome } of stacked) {
        await this.o.verified(entry.task.id, tip, result, false);
        entry.done(outcome);
      }
      return;
    }
    // Red, or not run at all: one merge alone is taken out; a batch is split and retried,
    // unless its tests could not be run (then no split would run them either).
    if (stacked.length === 1 || result.error) {
      for (const { entry, outcome } of stacked) {
        const red = await this.o.verified(entry.task.id, tip, result, true);
        // `base`: where main stays, whatever the merge was stacked on.
        const unverified = result.error ? { unverified: result.error } : {};
        entry.done({ ...outcome, base: main, red, ...unverified });
      }
      return;
    }
    const half = Math.ceil(stacked.length / 2);
    for (const part of [stacked.slice(0, half), stacked.slice(half)])
      await this.#land(
        project,
        repo,
        part.map((s) => s.entry),
      );
  }
}

const gateKey = (repo: RepoAccess) => `main-gate:${repo.url}`;

/** Tells a waiting merge its outcome, or the error that kept its branch from merging. */
function settle(entry: Waiting, outcome: MergeOutcome | Error): void {
  if (outcome instanceof Error) entry.fail(outcome);
  else entry.done(outcome);
}
