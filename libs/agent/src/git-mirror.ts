import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GitFailure, isPlainHttp, runGit, splitCredentials } from '@codeframe/runtime';

// The bare mirror of a project repository that a worker keeps, and the worktrees it adds
// from it (git-workspace.ts is the task's side). The mirror keeps the remote's branches
// under refs/remotes/origin/, not refs/heads/: git refuses to fetch into a branch some
// worktree has checked out, and the tasks' own branches live in refs/heads/. It keeps no
// remote URL (nor FETCH_HEAD): the URL is given to each fetch, and never lands on disk where
// a command could read it. What git's own files say (a branch just written, which worktree
// has a branch) is read from them, without a git process; commands cannot write them.

/** Dependency folders the worker never commits, whatever the model's .gitignore says. */
export const DEPENDENCY_DIRS = [
  'node_modules',
  '.venv',
  '__pycache__',
  '.pytest_cache',
  '.pnpm-store',
];

const REFSPECS = ['+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*'];

/** A branch name or commit sha a request may give: word characters, `.`, `/` and `-`, no
 * `..` and no leading `-` (which git would read as an option). */
export function isSafeRefName(ref: string): boolean {
  return /^[\w./-]+$/.test(ref) && !ref.includes('..') && !ref.startsWith('-');
}

/**
 * Fetches every branch and tag of `repoUrl` into the mirror (refs/remotes/origin/*,
 * refs/tags/*), making the mirror first when there is none: built beside its place and
 * renamed into it, so an interrupted clone is never a mirror. Rejects with git's failure.
 */
export async function fetchMirror(
  mirror: string,
  repoUrl: string,
  signal?: AbortSignal,
): Promise<void> {
  const { url, credentials } = splitCredentials(repoUrl);
  const fetch = (gitDir: string) =>
    runGit(
      [
        '--git-dir',
        gitDir,
        'fetch',
        '--quiet',
        '--prune',
        '--no-write-fetch-head',
        url,
        ...REFSPECS,
      ],
      { signal, credentials, allowHttp: isPlainHttp(url) },
    );
  if (await stat(join(mirror, 'HEAD')).catch(() => null)) {
    // Mirrors of earlier versions kept the URL as remote "origin": forget it.
    const config = await readFile(join(mirror, 'config'), 'utf8').catch(() => '');
    if (/^\s*\[remote "origin"\]/m.test(config)) {
      await runGit(['--git-dir', mirror, 'config', '--remove-section', 'remote.origin'], {
        signal,
      }).catch(() => {});
    }
    await writeExcludes(mirror);
    await fetch(mirror);
    return;
  }
  const partial = `${mirror}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await runGit(['init', '--quiet', '--bare', partial], { signal });
    await writeExcludes(partial);
    await fetch(partial);
    await rename(partial, mirror);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** The commit `baseRef` names in the mirror: origin's branch, a tag, or a sha; undefined
 * when it names none. */
export async function resolveCommit(
  mirror: string,
  baseRef: string,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const name = baseRef.replace(/^refs\/heads\//, '');
  const candidates = [`refs/remotes/origin/${name}`, `refs/tags/${name}`];
  if (/^[0-9a-f]{4,40}$/i.test(baseRef)) candidates.push(baseRef);
  for (const ref of candidates) {
    const args = ['--git-dir', mirror, 'rev-parse', '--verify', '--quiet', '--end-of-options'];
    const sha = (await runGit([...args, `${ref}^{commit}`], { signal }).catch(() => '')).trim();
    if (sha) return sha;
  }
  return undefined;
}

/**
 * `git worktree add -B branch path start`. A branch still checked out by an earlier worktree
 * of the task (a re-dispatch) is released from it first; asked only then, so a task costs
 * no extra git calls.
 */
export async function addWorktree(
  mirror: string,
  branch: string,
  path: string,
  start: string,
  signal?: AbortSignal,
): Promise<void> {
  const args = ['--git-dir', mirror, 'worktree', 'add', '--quiet', '--force', '--no-track'];
  const add = () => runGit([...args, '-B', branch, path, start], { signal });
  await add().catch(async (err: unknown) => {
    if (
      signal?.aborted ||
      !(err instanceof GitFailure) ||
      !/checked out at|used by worktree/.test(err.message)
    )
      throw err;
    await releaseBranch(mirror, branch, signal);
    await add();
  });
}

/**
 * The commit a branch of the mirror points at, read from the file git wrote for it (a
 * branch it just created or moved is never packed); undefined when there is no such file.
 */
export async function readLooseRef(mirror: string, branch: string): Promise<string | undefined> {
  const file = looseRefPath(mirror, branch);
  const text = file && (await readFile(file, 'utf8').catch(() => ''));
  return text && /^[0-9a-f]{40}\n?$/.test(text) ? text.trim() : undefined;
}

/** Where the files backend keeps `refs/heads/<branch>`, or undefined for a name that would
 * lead outside it. */
export function looseRefPath(mirror: string, branch: string): string | undefined {
  const heads = join(mirror, 'refs', 'heads');
  const file = resolve(heads, branch);
  return isSafeRefName(branch) && file.startsWith(`${heads}/`) ? file : undefined;
}

/** Whether a worktree of the mirror has `branch` checked out, from git's HEAD files. */
export async function checkedOutElsewhere(mirror: string, branch: string): Promise<boolean> {
  const admin = join(mirror, 'worktrees');
  const names = await readdir(admin).catch(() => [] as string[]);
  for (const name of names) {
    const head = await readFile(join(admin, name, 'HEAD'), 'utf8').catch(() => '');
    if (head.trim() === `ref: refs/heads/${branch}`) return true;
  }
  return false;
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

/** Dependencies stay out of `git status` in the sandbox too, not only out of commits. */
async function writeExcludes(gitDir: string): Promise<void> {
  await mkdir(join(gitDir, 'info'), { recursive: true });
  await writeFile(join(gitDir, 'info', 'exclude'), DEPENDENCY_DIRS.map((d) => `${d}/\n`).join(''));
}
