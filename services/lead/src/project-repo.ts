import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type GitCredentials,
  GitFailure,
  runGit,
  serialised,
  withoutCredentials,
} from '@codeframe/runtime';

// The lead owns each project's git repository. Workers push their work as branches
// `task/<id>`; the lead merges each finished task into `main` with a merge commit, in
// dependency order, so the history shows one merge per task.
//
// Merges happen in a working clone the lead keeps per repository (under
// <dataDir>/merges/<hash of url>), fetched before each merge and reset to the remote's main
// first, so whatever a failed or interrupted earlier attempt left there is thrown away.
// The conventions follow libs/agent/src/git-workspace.ts, the workers' side.

export type ProjectRepoErrorCode = 'repo_unreachable' | 'unknown_branch' | 'git_failed';

/** A repository or branch the lead could not use, with a sentence naming it. */
export class ProjectRepoError extends Error {
  constructor(
    readonly code: ProjectRepoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProjectRepoError';
  }
}

export type MergeOutcome =
  /** `base`: main before the merge (`sha` itself when the branch was in main already). */
  | { merged: true; sha: string; base: string }
  | { merged: false; conflict: true; files: string[]; message: string };

export interface MergeOptions {
  /** Holds `merges/`, the lead's working clones. */
  dataDir: string;
  /** Any git URL: file:// for the repos the lead creates, or a user's own remote. */
  repoUrl: string;
  /** For a private remote; handed to git apart from the URL. */
  credentials?: GitCredentials;
  /** The branch to merge, e.g. `task/<id>`. */
  branch: string;
  /** The merge commit's message. */
  message: string;
  signal?: AbortSignal;
}

const MAIN = 'main';
/** How often a merge is redone when someone else moved main between our fetch and our push. */
const PUSH_ATTEMPTS = 3;

/** Creates the bare repository of a project at <dataDir>/repos/<projectId>.git with one
 * commit on main (an empty tree, message "chore: start <project name>") and returns its
 * file:// URL. Idempotent: an existing repo is kept. */
/** Where the lead keeps the repository of a project created without a URL. */
export function defaultRepoUrl(dataDir: string, projectId: string): string {
  return pathToFileURL(resolve(dataDir, 'repos', `${projectId}.git`)).href;
}

export async function createProjectRepo(
  dataDir: string,
  projectId: string,
  projectName: string,
): Promise<string> {
  if (!/^[\w-][\w.-]*$/.test(projectId)) {
    throw new ProjectRepoError(
      'git_failed',
      `cannot create a repository for project id "${projectId}": use letters, digits, ".", "_" and "-" only`,
    );
  }
  const url = defaultRepoUrl(dataDir, projectId);
  const path = fileURLToPath(url);
  return serialised(path, async () => {
    if (await isRepo(path)) return url;
    await mkdir(dirname(path), { recursive: true });
    // Built beside its place and renamed into it, so an interrupted start is never a repo.
    const partial = `${path}.partial-${randomBytes(4).toString('hex')}`;
    try {
      const gitDir = ['--git-dir', partial];
      await runGit(['init', '--quiet', '--bare', `--initial-branch=${MAIN}`, partial]);
      const tree = (await runGit([...gitDir, 'hash-object', '-t', 'tree', '-w', '--stdin'])).trim();
      const name = projectName.replace(/\s+/g, ' ').trim() || projectId;
      const commit = (
        await runGit([...gitDir, 'commit-tree', tree, '-m', `chore: start ${name}`])
      ).trim();
      await runGit([...gitDir, 'update-ref', `refs/heads/${MAIN}`, commit]);
      await runGit([...gitDir, 'symbolic-ref', 'HEAD', `refs/heads/${MAIN}`]);
      try {
        await rename(partial, path);
      } catch (err) {
        // Another process created it meanwhile: that one is kept.
        if (!(await isRepo(path))) throw err;
      }
    } catch (err) {
      throw failure(
        'git_failed',
        `could not create the repository of project "${projectId}" at ${path}`,
        err,
      );
    } finally {
      await rm(partial, { recursive: true, force: true });
    }
    return url;
  });
}

/** Merges branch `branch` (e.g. `task/<id>`) of the repo into main with a merge commit
 * (--no-ff, message given) and pushes main. Keeps a working clone per repo under
 * <dataDir>/merges/<hash of url>; fetches before merging and resets its main to the remote's
 * main first, so a failed earlier attempt leaves nothing behind. On a conflict it aborts the
 * merge, pushes nothing and returns the conflicting files. A branch already contained in main
 * counts as merged, at main's sha. Merges into one repo are serialised in-process. */
export async function mergeTaskBranch(options: MergeOptions): Promise<MergeOutcome> {
  const { dataDir, repoUrl, credentials, signal } = options;
  const branch = options.branch.replace(/^refs\/heads\//, '');
  const clone = cloneOf(dataDir, repoUrl);
  return serialised(clone, async () => {
    await checkBranchName(branch, repoUrl, signal);
    await ensureClone(clone, repoUrl, signal);
    for (let attempt = 1; ; attempt++) {
      const base = await fetchBoth(clone, repoUrl, branch, signal, credentials);
      const merged = await mergeInClone(clone, repoUrl, branch, options.message, signal);
      const outcome = merged.merged ? { ...merged, base } : merged;
      if (!outcome.merged || outcome.sha === base) return outcome;
      try {
        await runGit(['push', '--quiet', '--no-verify', 'origin', `${MAIN}:refs/heads/${MAIN}`], {
          cwd: clone,
          signal,
          credentials,
        });
        return outcome;
      } catch (err) {
        if (signal?.aborted) throw err;
        // Rejected because main moved on in the repository: merge again onto the new main.
        const moved = await remoteHeads(repoUrl, [MAIN], signal, credentials)
          .then((heads) => heads.get(MAIN) !== base)
          .catch(() => false);
        if (moved && attempt < PUSH_ATTEMPTS) continue;
        throw failure(
          'repo_unreachable',
          `could not push ${MAIN} to ${withoutCredentials(repoUrl)}`,
          err,
        );
      }
    }
  });
}

/**
 * Moves main of the repository from `from` back to `to` (its commit before a merge that
 * turned it red), only if main is still at `from`: a compare-and-swap (a push with a lease),
 * so a main that moved on meanwhile is never rewound. Runs in the merge clone, serialised
 * with the merges of the repo.
 */
export async function moveMainBack(
  options: BranchOptions & { from: string; to: string },
): Promise<void> {
  const { dataDir, repoUrl, signal, from, to } = options;
  for (const sha of [from, to]) {
    if (!/^[0-9a-f]{40}$/.test(sha))
      throw new ProjectRepoError('git_failed', `"${sha}" is not a commit sha to move main to`);
  }
  const clone = cloneOf(dataDir, repoUrl);
  await serialised(clone, async () => {
    await ensureClone(clone, repoUrl, signal);
    const lease = `--force-with-lease=refs/heads/${MAIN}:${from}`;
    await pushFrom(
      clone,
      [lease, 'origin', `${to}:refs/heads/${MAIN}`],
      options,
      `could not move ${MAIN} of ${withoutCredentials(repoUrl)} back from ${from.slice(0, 12)} to ${to.slice(0, 12)}`,
    );
  });
}

/** A push from the merge clone; a refusal is repo_unreachable with `sentence`. */
async function pushFrom(clone: string, args: string[], options: BranchOptions, sentence: string) {
  const { signal, credentials } = options;
  try {
    await runGit(['push', '--quiet', '--no-verify', ...args], { cwd: clone, signal, credentials });
  } catch (err) {
    throw failure('repo_unreachable', sentence, err);
  }
}

export interface BranchOptions {
  dataDir: string;
  repoUrl: string;
  credentials?: GitCredentials;
  signal?: AbortSignal;
}

/** Copies branch `from` (e.g. `task/<id>`) of the repo to branch `to` (e.g.
 * `attempts/<id>/<n>`), replacing it, when `from` holds work of its own (commits main does
 * not have); returns the sha kept, or null when there was nothing to keep. Runs in the merge
 * clone, serialised with the merges of the repo. */
export async function keepBranch(
  options: BranchOptions & { from: string; to: string },
): Promise<string | null> {
  const { repoUrl, signal, from, to } = options;
  return withFetched(options, from, [to], async (clone, sha) => {
    const origin = (name: string) => `refs/remotes/origin/${name}`;
    if (await isAncestor(clone, origin(from), origin(MAIN), signal)) return null;
    await pushFrom(
      clone,
      ['--force', 'origin', `${origin(from)}:refs/heads/${to}`],
      options,
      `could not push "${to}" to ${withoutCredentials(repoUrl)}`,
    );
    return sha;
  });
}

/** Whether branch `branch` of the repo exists and contains the repo's current main. */
export async function containsMain(options: BranchOptions & { branch: string }): Promise<boolean> {
  const { branch, signal } = options;
  const contains = await withFetched(options, branch, [], (clone) =>
    isAncestor(clone, `refs/remotes/origin/${MAIN}`, `refs/remotes/origin/${branch}`, signal),
  );
  return contains ?? false;
}

/** What branch `branch` changes against main, from their merge base: the patch and the
 * per-file line counts (`git diff --numstat`, "-" for binary files); null when either
 * branch is missing. No external diff driver or textconv runs (the repository names them). */
export async function branchDiff(
  options: BranchOptions & { branch: string },
): Promise<{ patch: string; numstat: string } | null> {
  const { branch, signal } = options;
  return withFetched(options, branch, [], async (clone) => {
    const range = `refs/remotes/origin/${MAIN}...refs/remotes/origin/${branch}`;
    const diff = (...args: string[]) =>
      runGit(['diff', '--no-color', '--no-ext-diff', '--no-textconv', '-M', ...args, range], {
        cwd: clone,
        signal,
      });
    try {
      return { patch: await diff(), numstat: await diff('--numstat') };
    } catch (err) {
      throw failure('git_failed', `could not read the diff of "${branch}" in ${clone}`, err);
    }
  });
}

/**
 * `fn` in the repo's merge clone (serialised with its merges) once main and `branch` are
 * fetched, given `branch`'s sha; null when either is missing. Every name is checked first.
 */
async function withFetched<T>(
  options: BranchOptions,
  branch: string,
  others: string[],
  fn: (clone: string, sha: string) => Promise<T>,
): Promise<T | null> {
  const { dataDir, repoUrl, credentials, signal } = options;
  const clone = cloneOf(dataDir, repoUrl);
  return serialised(clone, async () => {
    for (const name of [branch, ...others]) await checkBranchName(name, repoUrl, signal);
    const heads = await remoteHeads(repoUrl, [MAIN, branch], signal, credentials);
    const sha = heads.get(branch);
    if (!sha || !heads.has(MAIN)) return null;
    await ensureClone(clone, repoUrl, signal);
    await fetchBoth(clone, repoUrl, branch, signal, credentials);
    return fn(clone, sha);
  });
}

/** Whether every commit of `ancestor` is in `of`. */
async function isAncestor(clone: string, ancestor: string, of: string, signal?: AbortSignal) {
  try {
    const count = await runGit(['rev-list', '--count', `${of}..${ancestor}`], {
      cwd: clone,
      signal,
    });
    return count.trim() === '0';
  } catch (err) {
    throw failure('git_failed', `could not compare ${of} with ${ancestor} in ${clone}`, err);
  }
}

function cloneOf(dataDir: string, repoUrl: string): string {
  const hash = createHash('sha256').update(repoUrl).digest('hex').slice(0, 16);
  return resolve(dataDir, 'merges', hash);
}

/** The sha main points to in the repository. */
export async function mainSha(
  repoUrl: string,
  signal?: AbortSignal,
  credentials?: GitCredentials,
): Promise<string> {
  const sha = (await remoteHeads(repoUrl, [MAIN], signal, credentials)).get(MAIN);
  if (!sha) throw unknownBranch(MAIN, repoUrl);
  return sha;
}

async function isRepo(path: string): Promise<boolean> {
  return (await stat(join(path, 'HEAD')).catch(() => null)) !== null;
}

async function checkBranchName(branch: string, repoUrl: string, signal?: AbortSignal) {
  const valid = await runGit(['check-ref-format', `refs/heads/${branch}`], { signal }).then(
    () => true,
    (err: unknown) => {
      if (signal?.aborted) throw err;
      return false;
    },
  );
  if (!valid || branch === MAIN) {
    throw new ProjectRepoError(
      'unknown_branch',
      `"${branch}" is not a task branch that can be merged into ${MAIN} of ${withoutCredentials(repoUrl)}`,
    );
  }
}

/** The working clone, created on first use; a clone is only ever complete. */
async function ensureClone(clone: string, repoUrl: string, signal?: AbortSignal): Promise<void> {
  // The clone's place is named after the URL, so its origin is always that URL.
  if (await isRepo(join(clone, '.git'))) return;
  await mkdir(dirname(clone), { recursive: true });
  await rm(clone, { recursive: true, force: true });
  const partial = `${clone}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await runGit(['init', '--quiet', `--initial-branch=${MAIN}`, partial], { signal });
    await runGit(['remote', 'add', 'origin', repoUrl], { cwd: partial, signal });
    await rename(partial, clone);
  } catch (err) {
    throw failure(
      'git_failed',
      `could not prepare a clone of ${withoutCredentials(repoUrl)} in ${clone}`,
      err,
    );
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

/** Fetches main and `branch` into the clone; returns the remote main's sha. */
async function fetchBoth(
  clone: string,
  repoUrl: string,
  branch: string,
  signal?: AbortSignal,
  credentials?: GitCredentials,
): Promise<string> {
  // Asked first, so a missing branch is told apart from a repository out of reach.
  const heads = await remoteHeads(repoUrl, [MAIN, branch], signal, credentials);
  for (const name of [MAIN, branch]) if (!heads.has(name)) throw unknownBranch(name, repoUrl);
  const refspecs = [MAIN, branch].map((name) => `+refs/heads/${name}:refs/remotes/origin/${name}`);
  try {
    await runGit(['fetch', '--quiet', '--no-tags', 'origin', ...refspecs], {
      cwd: clone,
      signal,
      credentials,
    });
  } catch (err) {
    throw failure('repo_unreachable', `could not fetch ${withoutCredentials(repoUrl)}`, err);
  }
  return (
    await runGit(['rev-parse', '--verify', `refs/remotes/origin/${MAIN}^{commit}`], {
      cwd: clone,
      signal,
    })
  ).trim();
}

async function mergeInClone(
  clone: string,
  repoUrl: string,
  branch: string,
  message: string,
  signal?: AbortSignal,
): Promise<{ merged: true; sha: string } | Extract<MergeOutcome, { merged: false }>> {
  const run = (args: string[]) => runGit(args, { cwd: clone, signal });
  const where = `"${branch}" into ${MAIN} of ${withoutCredentials(repoUrl)}`;
  try {
    // Whatever an earlier attempt left (a merge in progress, stray files) goes first.
    // (A new clone has no commit yet to reset to; the checkout below then does it all.)
    await run(['reset', '--quiet', '--hard']).catch((err: unknown) => {
      if (signal?.aborted) throw err;
    });
    await run(['checkout', '--quiet', '--force', '-B', MAIN, `refs/remotes/origin/${MAIN}`]);
    await run(['clean', '--quiet', '-ffdx']);
  } catch (err) {
    throw failure('git_failed', `could not prepare the merge of ${where}`, err);
  }
  const text = message.trim() || `Merge branch '${branch}'`;
  try {
    await run([
      'merge',
      '--no-ff',
      '--no-edit',
      '--no-verify',
      '-m',
      text,
      `refs/remotes/origin/${branch}`,
    ]);
  } catch (err) {
    if (signal?.aborted) throw err;
    const unmerged = await run(['diff', '--name-only', '--diff-filter=U', '-z']).catch(() => '');
    const files = [...new Set(unmerged.split('\0').filter(Boolean))].sort();
    await run(['merge', '--abort']).catch(() =>
      run(['reset', '--quiet', '--hard']).catch(() => {}),
    );
    if (files.length === 0) throw failure('git_failed', `could not merge ${where}`, err);
    const list = files.join(', ');
    return {
      merged: false,
      conflict: true,
      files,
      message: `merging ${where} conflicts in ${list}`,
    };
  }
  try {
    return { merged: true, sha: (await run(['rev-parse', '--verify', 'HEAD'])).trim() };
  } catch (err) {
    throw failure('git_failed', `could not read the merge of ${where}`, err);
  }
}

/** The shas of the named branches in the repository; a missing branch is absent. */
async function remoteHeads(
  repoUrl: string,
  names: string[],
  signal?: AbortSignal,
  credentials?: GitCredentials,
): Promise<Map<string, string>> {
  let listing: string;
  try {
    const refs = names.map((name) => `refs/heads/${name}`);
    listing = await runGit(['ls-remote', '--heads', repoUrl, ...refs], { signal, credentials });
  } catch (err) {
    throw failure('repo_unreachable', `could not reach ${withoutCredentials(repoUrl)}`, err);
  }
  const heads = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const match = /^([0-9a-f]+)\trefs\/heads\/(.+)$/.exec(line.trim());
    if (match && names.includes(match[2]!)) heads.set(match[2]!, match[1]!);
  }
  return heads;
}

function unknownBranch(branch: string, repoUrl: string): ProjectRepoError {
  return new ProjectRepoError(
    'unknown_branch',
    `branch "${branch}" does not exist in ${withoutCredentials(repoUrl)}`,
  );
}

function failure(code: ProjectRepoErrorCode, sentence: string, err: unknown): unknown {
  if (err instanceof ProjectRepoError || !(err instanceof GitFailure)) return err;
  return new ProjectRepoError(code, `${sentence}: ${err.detail}`);
}
