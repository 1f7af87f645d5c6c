import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import {
  GitFailure,
  type GitOptions,
  runGit,
  serialised,
  withoutCredentials,
} from '@codeframe/runtime';
import {
  addWorktree,
  checkedOutElsewhere,
  DEPENDENCY_DIRS,
  fetchMirror,
  looseRefPath,
  readLooseRef,
  resolveCommit,
} from './git-mirror.js';
import type { SandboxWorkspace } from './sandbox-mounts.js';

export { DEPENDENCY_DIRS, isSafeRefName } from './git-mirror.js';

// Each task works in its own git worktree, on its own branch, checked out from a bare mirror
// of the project repository that the worker keeps and refreshes, so a task starts without
// cloning the whole repository again (git-mirror.ts). The result goes back as branch
// `task/<id>`. The URL is given to each fetch and push, never kept on disk; a token the
// lead sent in it is taken out and handed to git by a credential helper, never on argv.
//
// Everything in the worktree is the model's, so the worker's own git never trusts it: every
// call names the git directory recorded when the worktree was made, runs no hooks and no
// fsmonitor (runGit pins both), and first checks that `.git` and the repository's config
// are still the worker's. A worktree whose `.git` was replaced fails with git_tampered.

export type WorkspaceErrorCode =
  | 'repo_unreachable'
  | 'unknown_base_ref'
  | 'git_failed'
  | 'git_tampered';

/** A task's checkout as the worker made it: what sandboxed commands see, and what the
 * worker's own git uses instead of anything found in the worktree. */
export interface Workspace extends SandboxWorkspace {
  gitDir: string;
  commonDir: string;
  baseSha: string;
  /** The `.git` file git wrote into the worktree, and a digest of the repository's config. */
  dotGit: string;
  configDigest: string;
}

/** Pathspecs that leave the dependency folders out. */
export const EXCLUDES = DEPENDENCY_DIRS.flatMap((dir) => [
  `:(exclude,glob)**/${dir}/**`,
  `:(exclude,glob)**/${dir}`,
]);

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

/** Per mirror: when the latest fetch that succeeded started (performance.now()). */
const fetchedSince = new Map<string, number>();

/**
 * Creates a fresh worktree on a new branch `branch` at `baseRef`, fetching the repo first.
 * Tasks of one repository that arrive together share a fetch: one that started after a
 * task arrived brings everything the repository held when the task was sent.
 */
export async function prepareWorktree(options: PrepareOptions): Promise<Workspace> {
  const { repoUrl, branch, workDir, signal } = options;
  const hash = createHash('sha256').update(repoUrl).digest('hex').slice(0, 16);
  const mirror = resolve(workDir, 'repos', `${hash}.git`);
  const arrived = performance.now();
  // Tasks of one repository share its mirror; one at a time fetches into it and adds to it.
  return serialised(mirror, async () => {
    const refresh = async () => {
      const started = performance.now();
      await fetchMirror(mirror, repoUrl, signal).catch((err: unknown) => {
        throw failure('repo_unreachable', `could not fetch ${withoutCredentials(repoUrl)}`, err);
      });
      fetchedSince.set(mirror, started);
    };
    const fresh = (fetchedSince.get(mirror) ?? Number.NEGATIVE_INFINITY) > arrived;
    if (!fresh) await refresh();
    const name = `${branch.replace(/[^\w.-]+/g, '-')}-${randomBytes(4).toString('hex')}`;
    const path = resolve(workDir, 'worktrees', name);
    await mkdir(dirname(path), { recursive: true });
    // Most tasks start from a branch: the worktree is made from it straight away, and the
    // base is read back from the branch git wrote. Anything else is resolved first.
    let start = `refs/remotes/origin/${options.baseRef.replace(/^refs\/heads\//, '')}`;
    const created = `could not create branch "${branch}" of ${withoutCredentials(repoUrl)}`;
    try {
      await addWorktree(mirror, branch, path, start, signal).catch(async (err: unknown) => {
        if (
          signal?.aborted ||
          !(err instanceof GitFailure) ||
          !/invalid reference|not a valid object name/.test(err.message)
        )
          throw failure('git_failed', created, err);
        let base = await resolveCommit(mirror, options.baseRef, signal);
        // The shared fetch may have missed a ref that a fetch of its own brings.
        if (!base && fresh) {
          await refresh();
          base = await resolveCommit(mirror, options.baseRef, signal);
        }
        if (!base) throw unknownBase(options);
        start = base;
        await addWorktree(mirror, branch, path, start, signal);
      });
      // Written by git a moment ago, before any command ran: the values to hold it to.
      const dotGit = await readFile(join(path, '.git'), 'utf8');
      const gitDir = /^gitdir: (.+)$/m.exec(dotGit)?.[1]?.trim();
      if (!gitDir) throw new Error(`git wrote no gitdir line into ${path}/.git`);
      const baseSha = /^[0-9a-f]{40}$/.test(start)
        ? start
        : ((await readLooseRef(mirror, branch)) ??
          (
            await runGit(['--git-dir', mirror, 'rev-parse', `refs/heads/${branch}`], { signal })
          ).trim());
      const configDigest = await digest(join(mirror, 'config'));
      return { path, baseSha, gitDir, commonDir: mirror, dotGit, configDigest };
    } catch (err) {
      throw failure('git_failed', created, err);
    }
  });
}

/** git on the worktree, as the worker recorded it, whatever the worktree now holds. */
export function worktreeGit(
  ws: Workspace,
  args: string[],
  signal?: AbortSignal,
  remote: Pick<GitOptions, 'credentials' | 'allowHttp'> = {},
): Promise<string> {
  return runGit(['--git-dir', ws.gitDir, '--work-tree', ws.path, ...args], {
    cwd: ws.path,
    signal,
    ...remote,
  });
}

/**
 * Checks that commands left git's own files alone: `.git` is still the file git wrote, the
 * repository's config is unchanged, and no folder of the worktree is another repository.
 * Anything else fails with git_tampered and a sentence naming what changed.
 */
export async function verifyWorkspace(ws: Workspace): Promise<void> {
  const dotGitPath = join(ws.path, '.git');
  const st = await lstat(dotGitPath).catch(() => null);
  // Read only when it can still be git's few bytes: a FIFO or a huge file is not.
  const now =
    st?.isFile() && st.size <= Buffer.byteLength(ws.dotGit)
      ? await readFile(dotGitPath, 'utf8')
      : undefined;
  if (now !== ws.dotGit) {
    const what = !st ? 'was removed' : st.isFile() ? 'was re-pointed' : 'was replaced';
    throw new WorkspaceError(
      'git_tampered',
      `the worktree's .git ${what} by a command; the worker commits only the repository it checked out, so this work is not committed`,
    );
  }
  if ((await digest(join(ws.commonDir, 'config'))) !== ws.configDigest) {
    throw new WorkspaceError(
      'git_tampered',
      "the repository's git config was changed by a command; the work is not committed",
    );
  }
  const nested = await nestedRepository(ws.path);
  if (nested) {
    throw new WorkspaceError(
      'git_tampered',
      `${nested} is a git repository inside the worktree; remove it (the worker commits one repository, and runs nothing a nested one configures)`,
    );
  }
}

/**
 * The commit of the repository's main that the worktree's base grew from (their merge
 * base), or undefined when the repository has no main or the histories do not meet.
 */
export async function forkFromMain(
  ws: Workspace,
  signal?: AbortSignal,
): Promise<string | undefined> {
  try {
    const args = ['--git-dir', ws.commonDir, 'merge-base', ws.baseSha, 'refs/remotes/origin/main'];
    return (await runGit(args, { signal })).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `fn` with the worktree checked out at `sha` (detached), then checks `branch` out
 * again. Only for a worktree no command has touched yet: its tracked files are replaced.
 */
export async function whileCheckedOutAt<T>(
  ws: Workspace,
  sha: string,
  branch: string,
  fn: () => Promise<T>,
): Promise<T> {
  await worktreeGit(ws, ['checkout', '--quiet', '--force', '--detach', sha]);
  try {
    return await fn();
  } finally {
    await worktreeGit(ws, ['checkout', '--quiet', '--force', branch]);
  }
}

/** A path the worktree changed since a commit; `added` when that commit has no such file. */
export interface ChangedFile {
  path: string;
  added: boolean;
}

/**
 * Paths the worktree changed or added since `sha`, untracked ones included (what a commit
 * would take), dependency folders left out; deleted paths are not listed. Since the commit
 * checked out (the usual case) that is one `git status`.
 */
export async function changedSince(
  ws: Workspace,
  sha: string,
  signal?: AbortSignal,
): Promise<ChangedFile[]> {
  await verifyWorkspace(ws);
  const pathspec = ['--', '.', ...EXCLUDES];
  if (sha === (await headSha(ws))) {
    const status = await worktreeGit(
      ws,
      ['status', '--porcelain', '-z', '--no-renames', '--untracked-files=all', ...pathspec],
      signal,
    );
    // `XY path` each: X the index against HEAD, Y the worktree against the index.
    return status
      .split('\0')
      .filter((entry) => entry.length > 3 && !entry.slice(0, 2).includes('D'))
      .map((entry) => ({ path: entry.slice(3), added: /^(\?\?|A)/.test(entry) }));
  }
  const changed = await worktreeGit(
    ws,
    [
      'diff',
      '--name-status',
      '--no-ext-diff',
      '--no-renames',
      '--diff-filter=d',
      '-z',
      sha,
      ...pathspec,
    ],
    signal,
  );
  const untracked = await worktreeGit(
    ws,
    ['ls-files', '--others', '--exclude-standard', '-z', ...pathspec],
    signal,
  );
  const files = new Map<string, boolean>();
  const fields = changed.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) files.set(fields[i + 1]!, fields[i] === 'A');
  for (const path of untracked.split('\0').filter(Boolean)) files.set(path, true);
  return [...files].map(([path, added]) => ({ path, added }));
}

/** The commit the worktree has checked out, read from git's files (which commands cannot
 * write); undefined when they hold anything else. */
export async function headSha(ws: Workspace): Promise<string | undefined> {
  const head = await readFile(join(ws.gitDir, 'HEAD'), 'utf8').catch(() => '');
  const branch = /^ref: refs\/heads\/(\S+)\n?$/.exec(head)?.[1];
  if (branch) return readLooseRef(ws.commonDir, branch);
  return /^[0-9a-f]{40}\n?$/.test(head) ? head.trim() : undefined;
}

/** The text of `path` at commit `sha`, or undefined when the commit has no such file. */
export async function fileAtCommit(
  ws: Workspace,
  sha: string,
  path: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const args = ['--git-dir', ws.commonDir, 'cat-file', 'blob', `${sha}:${path}`];
  return runGit(args, { signal }).catch(() => undefined);
}

/** Deletes the worktree and its local branch; the pushed branch stays in the repository. */
export async function removeWorktree(ws: Workspace, branch?: string): Promise<void> {
  await rm(ws.path, { recursive: true, force: true });
  const gitDir = ['--git-dir', ws.commonDir];
  await serialised(ws.commonDir, async () => {
    // Its own entry under worktrees/ goes as prune would take it (git wrote the path, and
    // it is checked to lie there); other stale entries are pruned when a branch needs it.
    const admin = relative(join(ws.commonDir, 'worktrees'), ws.gitDir);
    if (/^[^/]+$/.test(admin) && admin !== '..' && admin !== '.')
      await rm(ws.gitDir, { recursive: true, force: true });
    else await runGit([...gitDir, 'worktree', 'prune']);
    // Its branch goes as `branch -D` would take it: the file git wrote for it (the mirror
    // keeps no reflog, and a packed copy of the name is only ever overwritten by -B), unless
    // another worktree has it checked out (a re-dispatch of the task took it over).
    const ref = branch && looseRefPath(ws.commonDir, branch);
    if (ref && !(await checkedOutElsewhere(ws.commonDir, branch))) await rm(ref, { force: true });
  });
}

async function digest(file: string): Promise<string> {
  const text = await readFile(file).catch(() => Buffer.alloc(0));
  return createHash('sha256').update(text).digest('hex');
}

/** The first folder under `root` (dependency folders aside) that holds a `.git`. */
async function nestedRepository(root: string): Promise<string | undefined> {
  const skipped = new Set(['.git', ...DEPENDENCY_DIRS]);
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const gitName = entry.name.toLowerCase() === '.git';
      if (gitName && !(dir === root && entry.name === '.git')) return relative(root, path);
      if (entry.isDirectory() && !skipped.has(entry.name)) stack.push(path);
    }
  }
  return undefined;
}

function unknownBase({ baseRef, repoUrl }: PrepareOptions): WorkspaceError {
  return new WorkspaceError(
    'unknown_base_ref',
    `base ref "${baseRef}" does not exist in ${withoutCredentials(repoUrl)}: give one of its branches, or a commit on one`,
  );
}

export function failure(code: WorkspaceErrorCode, sentence: string, err: unknown): unknown {
  if (err instanceof WorkspaceError || !(err instanceof GitFailure)) return err;
  return new WorkspaceError(code, `${sentence}: ${err.detail}`);
}
