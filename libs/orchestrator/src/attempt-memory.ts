import { create } from '@bufbuild/protobuf';
import {
  type PreviousAttempt,
  PreviousAttemptSchema,
  type Project,
  type Task,
  type TaskResult,
} from '@codeframe/proto';
import type { RepoAccess } from '@codeframe/repos';
import { containsMain, keepBranch, ProjectRepoError } from '@codeframe/repos';
import type { Logger } from '@codeframe/runtime';
import type { Attempt } from '@codeframe/store';
import { dependencyContext } from './dependency-context.js';
import type { ProjectLedger } from './project-ledger.js';

// A task remembers across attempts. The worker pushes each attempt's work to `task/<id>`
// whatever its end; when an attempt ends without completing, the lead keeps that work on a
// branch of its own, `attempts/<id>/<n>` (git cannot nest a branch below `task/<id>`), and
// the next attempt is told how the earlier one ended (error, failing test output, branch)
// and starts from its work when that is sound (work the review sent back: with what the review
// asked for, outcome "changes_requested"). A dependent is told what its dependencies
// delivered.

/** Ends after which the next attempt needs no memory: a completed attempt runs again only
 * after a merge conflict (on the new main); a blocked one resumes from its branch with the
 * answers. */
const NO_MEMORY = new Set(['completed', 'blocked']);

export interface AttemptMemoryOptions {
  state: ProjectLedger;
  dataDir: string;
  logger: Logger;
  repoAccess: (project: Project) => Promise<RepoAccess>;
}

/** What a dispatch adds to its request from the task's earlier attempts and dependencies. */
export interface Remembered {
  context: string;
  /** Absent when the task starts as before (main, or its own branch after a blocker). */
  baseRef?: string;
  previousAttempt?: PreviousAttempt;
}

/** The branch that keeps the work of attempt `n` of a task. */
export const attemptBranch = (taskId: string, n: number) => `attempts/${taskId}/${n}`;

/** The output of a result's last test run when it failed, for the next attempt. */
export function failingTestOutput(result: TaskResult): string | undefined {
  const tests = result.tests;
  if (!tests?.output || (tests.failed === 0 && tests.exitCode === 0)) return undefined;
  return tests.output;
}

export class AttemptMemory {
  constructor(private readonly o: AttemptMemoryOptions) {}

  /** The request's context, start and previous attempt for dispatching attempt `current`. */
  async recall(project: Project, task: Task, current: Attempt): Promise<Remembered> {
    const all = await this.o.state.store.listTasks(project.id);
    const dependencies = all.filter((t) => task.dependsOn.includes(t.id));
    const remembered: Remembered = { context: dependencyContext(project.prd, dependencies) };
    const attempts = await this.o.state.store.listAttempts(task.id);
    const last = attempts.filter((a) => a.number < current.number).at(-1);
    if (!last || NO_MEMORY.has(last.outcome ?? '')) return remembered;
    const branch = await this.keep(project, last);
    const sound = branch !== undefined && (await this.#containsMain(project, branch));
    remembered.baseRef = sound ? branch : 'main';
    remembered.previousAttempt = create(PreviousAttemptSchema, {
      number: last.number,
      // An attempt never finished when the lead stopped while it ran.
      outcome: last.outcome ?? 'interrupted',
      error: last.error ?? (last.outcome ? '' : 'the lead stopped while this attempt ran'),
      testOutput: last.testOutput ?? '',
      branch: branch ?? '',
      review: last.review ?? '',
    });
    return remembered;
  }

  /** Keeps the work an attempt that did not complete pushed to `task/<id>` on its own branch
   * and records it there; undefined when it left no work of its own, or the repository could
   * not be reached (logged: the next attempt then starts from main). */
  async keep(project: Project, attempt: Attempt): Promise<string | undefined> {
    if (attempt.branch) return attempt.branch;
    const to = attemptBranch(attempt.taskId, attempt.number);
    try {
      const repo = await this.o.repoAccess(project);
      const sha = await keepBranch({
        dataDir: this.o.dataDir,
        repoUrl: repo.url,
        credentials: repo.credentials,
        fence: repo.fence,
        from: `task/${attempt.taskId}`,
        to,
      });
      if (!sha) return undefined;
    } catch (err) {
      if (!(err instanceof ProjectRepoError)) throw err;
      this.o.logger.warn({ err, taskId: attempt.taskId }, `could not keep the work on ${to}`);
      return undefined;
    }
    await this.o.state.store.setAttemptBranch(attempt.id, to);
    return to;
  }

  async #containsMain(project: Project, branch: string): Promise<boolean> {
    try {
      const repo = await this.o.repoAccess(project);
      return await containsMain({
        dataDir: this.o.dataDir,
        repoUrl: repo.url,
        credentials: repo.credentials,
        branch,
      });
    } catch (err) {
      if (!(err instanceof ProjectRepoError)) throw err;
      return false;
    }
  }
}
