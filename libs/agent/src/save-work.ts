import { type ExecuteTaskRequest, TaskOutcome } from '@codeframe/proto';
import type { Logger } from '@codeframe/runtime';
import { type Workspace, WorkspaceError } from './git-workspace.js';
import { commitAll, pushBranch } from './workspace-commit.js';

// Every attempt's work is pushed, whatever its end, so a retry can start from it and the
// lead can keep it: a finished task's commit, a question's draft, and the work so far of a
// task that failed, spent its budget, ran past its deadline or was cancelled.

/** How long saving the work of a task whose signal already aborted (cancelled, past its
 * deadline) may take: it gets a timeout of its own instead of the task's signal. */
export const SAVE_TIMEOUT_MS = 60_000;

export interface SaveInput {
  request: ExecuteTaskRequest;
  workspace: Workspace;
  logger: Logger;
  /** The task's signal. */
  signal: AbortSignal;
}

/** A commit made and pushed; null when nothing changed (the branch is pushed all the same);
 * a WorkspaceError when a command tampered with git's files (nothing committed or pushed). */
export type Saved = { sha: string; filesChanged: string[] } | null | WorkspaceError;

/** What a result says about the work of an attempt that did not complete. */
export interface UnfinishedWork {
  commitSha?: string;
  filesChanged?: string[];
  /** The error, amended when the work could not be pushed. */
  error?: string;
}

/** The one way an attempt's work is saved: at most once per attempt, by whichever end comes
 * first; a later call gets the first one's outcome. */
export class WorkSaver {
  #saving?: Promise<Saved>;

  constructor(private readonly input: SaveInput) {}

  /** Commits whatever the worktree holds and pushes the task's branch; `own` gives the push a
   * bounded time of its own, so cancelling the task does not cut it short. */
  save(message: string, own = false): Promise<Saved> {
    this.#saving ??= saveWork(this.input, message, own);
    return this.#saving;
  }

  /** Saves the work of an attempt ending without completing as a wip commit. A push that
   * fails does not change how the attempt ended; the error says the work was not pushed. */
  async unfinished(outcome: TaskOutcome | 'stopped', error?: string): Promise<UnfinishedWork> {
    const { request } = this.input;
    const task = request.task!;
    const what = outcome === 'stopped' ? outcome : TaskOutcome[outcome].toLowerCase();
    const message = `wip(${task.key || task.id}): work of attempt ${request.attempt || 1} (${what})`;
    const saved = await this.save(message, true).catch((err: unknown) => {
      this.input.logger.warn({ err }, "could not push the unfinished attempt's work");
      return err instanceof Error ? err : new Error(String(err));
    });
    if (saved instanceof Error) {
      if (error?.includes(saved.message)) return { error };
      const note = `its work was not pushed: ${saved.message}`;
      return { error: error ? `${error} (${note})` : note };
    }
    return saved ? { commitSha: saved.sha, filesChanged: saved.filesChanged } : {};
  }

  /** For a task stopped where no end was reached (its caller went away mid-step): the work
   * is saved all the same, before the worktree goes. */
  async finally(): Promise<void> {
    if (this.#saving) {
      await this.#saving.catch(() => {});
      return;
    }
    await this.unfinished(this.input.signal.aborted ? TaskOutcome.CANCELLED : 'stopped');
  }
}

async function saveWork(input: SaveInput, message: string, own: boolean): Promise<Saved> {
  const signal = own || input.signal.aborted ? AbortSignal.timeout(SAVE_TIMEOUT_MS) : input.signal;
  try {
    const commit = await commitAll(input.workspace, message, signal);
    await pushBranch(input.workspace, input.request.repoUrl, input.request.branch, signal);
    return commit;
  } catch (err) {
    if (err instanceof WorkspaceError && err.code === 'git_tampered') return err;
    throw err;
  }
}
