import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { GitFailure, runGit, serialised, withoutCredentials } from '@codeframe/runtime';

// Each task works in its own git worktree, on its own branch, checked out from a bare mirror
// of the project repository that the worker keeps and refreshes, so a task starts without
// cloning the whole repository again. The result goes back as branch `task/<id>`.
//
// The mirror keeps the remote's branches under refs/remotes/origin/, not refs/heads/: git
// refuses to fetch into a branch some worktree has checked out, and the tasks' own branches
// live in refs/heads/.

export type WorkspaceErrorCode = 'repo_unreachable' | 'unknown_base_ref' | 'git_failed';

/** A workspace that could not be prepared or saved, with a sentence naming the repo or ref. */
export class WorkspaceError extends Error {
  constructor(
    readonly code: WorkspaceErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WorkspaceError';
  }
}

export interface PrepareOptions {
  repoUrl: string;
  /** A branch name of the repository, or a commit on one of its branches. */
  baseRef: string;
  /** The local branch the task commits to, e.g. `task/<id>`. */
  branch: string;
  /** Holds `repos/` (the mirrors) and `worktrees/`. */
  workDir: string;
  signal?: AbortSignal;
}

const REFSPECS = ['+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'];

/** Creates a fresh worktree on a new branch `branch` at `baseRef`, fetching the repo first. */
export async function prepareWorktree(
  options: PrepareOptions,
): Promise<{ path: string; baseSha: string }> {
  const { repoUrl, branch, workDir, signal } = options;
  const hash = createHash('sha256').update(repoUrl).digest('hex').slice(0, 16);
  const mirror = resolve(workDir, 'repos', `${hash}.git`);
  // Tasks of one repository share its mirror; one at a time fetches into it and adds to it.
  return serialised(mirror, async () => {
    await refreshMirror(mirror, repoUrl, signal);
    const baseSha = await resolveBase(mirror, options);
    const name = `${branch.replace(/[^\w.-]+/g, '-')}-${randomBytes(4).toString('hex')}`;
    const path = resolve(workDir, 'worktrees', name);
    await mkdir(dirname(path), { recursive: true });
    try {
      await releaseBranch(mirror, branch, signal);
      await runGit(
        ['--git-dir', mirror, 'worktree', 'add', '--quiet', '--force', '-B', branch, path, baseSha],
        { signal },
      );
    } catch (err) {
      throw failure(
        'git_failed',
        `could not create branch "${branch}" of ${withoutCredentials(repoUrl)}`,
        err,
      );
    }
    return { path, baseSha };
  });
}

/** Commits everything in the worktree as CodeFRAME; null when nothing changed. */
export async function commitAll(
  path: string,
  message: string,
  signal?: AbortSignal,
): Promise<{ sha: string; filesChanged: string[] } | null> {
  try {
    await runGit(['add', '--all'], { cwd: path, signal });
    const staged = await runGit(['diff', '--cached', '--name-only', '-z'], { cwd: path, signal });
    const filesChanged = staged.split('\0').filter(Boolean);
    if (filesChanged.length === 0) return null;
    const text = message.trim() || 'Changes made by CodeFRAME';
    const commit = ['-c', 'commit.gpgsign=false', 'commit', '--quiet', '--no-verify'];
    await runGit([...commit, '-m', text], { cwd: path, signal });
    const sha = (await runGit(['rev-parse', 'HEAD'], { cwd: path, signal })).trim();
    return { sha, filesChanged };
  } catch (err) {
    throw failure('git_failed', `could not commit the changes in ${path}`, err);
  }
}

/** Pushes the worktree's HEAD to `branch` of the original repository, replacing it. */
export async function pushBranch(
  path: string,
  repoUrl: string,
  branch: string,
  signal?: AbortSignal,
): Promise<void> {
  try {
    const target = `HEAD:refs/heads/${branch}`;
    await runGit(['push', '--quiet', '--force', repoUrl, target], { cwd: path, signal });
  } catch (err) {
    throw failure(
      'repo_unreachable',
      `could not push "${branch}" to ${withoutCredentials(repoUrl)}`,
      err,
    );
  }
}

/** Deletes the worktree and its local branch; the pushed branch stays in the repository. */
export async function removeWorktree(path: string): Promise<void> {
  let mirror: string | undefined;
  let branch = '';
  try {
    mirror = resolve(path, (await runGit(['rev-parse', '--git-common-dir'], { cwd: path })).trim());
    branch = (await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: path })).trim();
  } catch {
    // not a worktree (any more): removing the folder is all there is to do
  }
  await rm(path, { recursive: true, force: true });
  if (!mirror) return;
  const gitDir = ['--git-dir', mirror];
  await serialised(mirror, async () => {
    await runGit([...gitDir, 'worktree', 'prune']);
    if (branch) await runGit([...gitDir, 'branch', '--quiet', '-D', branch]).catch(() => {});
  });
}

async function refreshMirror(mirror: string, repoUrl: string, signal?: AbortSignal): Promise<void> {
  const fetch = (gitDir: string) =>
    runGit(['--git-dir', gitDir, 'fetch', '--quiet', '--prune', 'origin', ...REFSPECS], { signal });
  try {
    if (await stat(join(mirror, 'HEAD')).catch(() => null)) {
      await fetch(mirror);
      return;
    }
    // Built beside its place and renamed into it, so an interrupted clone is never a mirror.
    const partial = `${mirror}.partial-${randomBytes(4).toString('hex')}`;
    try {
      await runGit(['init', '--quiet', '--bare', partial], { signal });
      await runGit(['--git-dir', partial, 'remote', 'add', 'origin', repoUrl], { signal });
      await fetch(partial);
      await rename(partial, mirror);
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
  } catch (err) {
    throw failure('repo_unreachable', `could not fetch ${withoutCredentials(repoUrl)}`, err);
  }
}

/** Detaches the worktrees still on `branch` (a crashed worker leaves them behind) so it can be
 * replaced; detaching, not deleting, spares one that is still in use. */
async function releaseBranch(mirror: string, branch: string, signal?: AbortSignal): Promise<void> {
  await runGit(['--git-dir', mirror, 'worktree', 'prune'], { signal });
  const list = await runGit(['--git-dir', mirror, 'worktree', 'list', '--porcelain'], { signal });
  for (const entry of list.split('\n\n')) {
    const path = /^worktree (.+)$/m.exec(entry)?.[1];
    const head = /^HEAD ([0-9a-f]+)$/m.exec(entry)?.[1];
    if (!path || !head || /^branch (.+)$/m.exec(entry)?.[1] !== `refs/heads/${branch}`) continue;
    await runGit(['update-ref', '--no-deref', 'HEAD', head], { cwd: path, signal });
  }
}

async function resolveBase(mirror: string, { repoUrl, baseRef, signal }: PrepareOptions) {
  const name = baseRef.replace(/^refs\/heads\//, '');
  const candidates = [`refs/remotes/origin/${name}`, `refs/tags/${name}`];
  if (/^[0-9a-f]{4,40}$/i.test(baseRef)) candidates.push(baseRef);
  for (const ref of candidates) {
    const args = ['--git-dir', mirror, 'rev-parse', '--verify', '--quiet', '--end-of-options'];
    const sha = (await runGit([...args, `${ref}^{commit}`], { signal }).catch(() => '')).trim();
    if (sha) return sha;
  }
  throw new WorkspaceError(
    'unknown_base_ref',
    `base ref "${baseRef}" does not exist in ${withoutCredentials(repoUrl)}: give one of its branches, or a commit on one`,
  );
}

function failure(code: WorkspaceErrorCode, sentence: string, err: unknown): unknown {
  if (err instanceof WorkspaceError || !(err instanceof GitFailure)) return err;
  return new WorkspaceError(code, `${sentence}: ${err.detail}`);
}
