import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type GitCredentials, runGit, serialised, withoutCredentials } from '@codeframe/runtime';
import { rememberTree } from './loose-refs.js';
import {
  isRepo,
  type MergeRepo,
  openRepo,
  type RepoOptions,
  remoteHeads,
  repoKey,
} from './merge-repo.js';
import { failure, ProjectRepoError, unknownBranch } from './project-repo-error.js';
import { answersYes, mergeTrees, type TreeMerge } from './tree-merge.js';

// The lead owns each project's git repository. Workers push their work as branches
// `task/<id>`; the lead merges each finished task into `main` with a merge commit, in
// dependency order, so the history shows one merge per task.
//
// Merges are git plumbing (tree-merge.ts) with no working tree: in place in a repository of
// the lead's own, through a clone it keeps for any other (merge-repo.ts). Nothing an earlier,
// interrupted merge did is left to clean up: main moves only by compare-and-swap, at the end.
// The conventions follow libs/agent/src/git-workspace.ts, the workers' side.

export type MergeOutcome =
  /** `base`: main before the merge (`sha` itself when the branch was in main already). */
  | { merged: true; sha: string; base: string }
  | { merged: false; conflict: true; files: string[]; message: string };

export interface MergeOptions extends RepoOptions {
  /** The branch to merge, e.g. `task/<id>`. */
  branch: string;
  /** The branch merged into: main unless said (the merge queue's branch, MERGE_QUEUE). */
  into?: string;
  /** The merge commit's message. */
  message: string;
}

const MAIN = 'main';
/** Where the merge queue stacks merges for their verification before main moves to them. */
export const MERGE_QUEUE = 'codeframe/merge-queue';
/** How often a merge is redone when someone else moved main between reading and moving it. */
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
      rememberTree(commit, tree);
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

/** One branch to merge, with its merge commit's message. */
export interface MergeItem {
  /** e.g. `task/<id>` */
  branch: string;
  message: string;
}

/** Merges branch `branch` (e.g. `task/<id>`) of the repo into main (or `into`): one
 * `mergeTaskBranches` of one branch. */
export async function mergeTaskBranch(options: MergeOptions): Promise<MergeOutcome> {
  const { branch, message, ...rest } = options;
  const [outcome] = await mergeTaskBranches({ ...rest, items: [{ branch, message }] });
  if (outcome instanceof Error) throw outcome;
  return outcome!;
}

/**
 * Merges the branches into main (or `into`), one after the other, each with a merge commit
 * (parents the target as the merges before it left it, and the branch; message given),
 * written with git plumbing (tree-merge.ts): the heads are read once, and the target moves
 * once, to the last merge, by compare-and-swap: in place in a repository of the lead's own,
 * by a push with a lease through the lead's clone otherwise (merge-repo.ts). So merges that
 * wait together cost one read and one move, not one each (in the lead's own repository the
 * read is of its ref files, loose-refs.ts: a merge there is 3 git processes). A branch that conflicts with what
 * is merged before it is told its files and left out; a branch already contained counts as
 * merged, at the target's sha; a branch that is missing or whose merge git refused gets its
 * error, and the others go on. Merges into one repo are serialised in-process; a target
 * moved by someone else meanwhile is merged onto again.
 */
export async function mergeTaskBranches(
  options: RepoOptions & { into?: string; items: MergeItem[] },
): Promise<(MergeOutcome | ProjectRepoError)[]> {
  const { repoUrl, signal } = options;
  const into = options.into ?? MAIN;
  const items = options.items.map((item) => ({
    branch: item.branch.replace(/^refs\/heads\//, ''),
    message: item.message.trim() || `Merge branch '${item.branch}'`,
  }));
  return serialised(repoKey(options), async () => {
    const refused = new Map<number, ProjectRepoError>();
    for (const [i, { branch }] of items.entries()) {
      try {
        await checkBranchName(branch, repoUrl, signal);
      } catch (err) {
        if (!(err instanceof ProjectRepoError)) throw err;
        refused.set(i, err);
      }
    }
    const repo = openRepo(options);
    const wanted = items.filter((_, i) => !refused.has(i)).map((item) => item.branch);
    for (let attempt = 1; ; attempt++) {
      const heads = await repo.heads([into, ...wanted]);
      if (!heads.has(into)) throw unknownBranch(into, repoUrl);
      const start = heads.get(into)!;
      let target = start;
      let targetTree = heads.trees.get(into);
      const outcomes: (MergeOutcome | ProjectRepoError)[] = [];
      for (const [i, { branch, message }] of items.entries()) {
        const where = `"${branch}" into ${into} of ${withoutCredentials(repoUrl)}`;
        const tip = heads.get(branch);
        if (refused.has(i) || tip === undefined) {
          outcomes.push(refused.get(i) ?? unknownBranch(branch, repoUrl));
          continue;
        }
        let merge: TreeMerge;
        try {
          merge = await mergeTrees({
            gitDir: repo.gitDir,
            base: target,
            baseTree: targetTree,
            tip,
            message,
            signal,
          });
        } catch (err) {
          const wrapped = failure('git_failed', `could not merge ${where}`, err);
          if (!(wrapped instanceof ProjectRepoError)) throw wrapped;
          outcomes.push(wrapped);
          continue;
        }
        if (!merge.merged) {
          const list = merge.files.join(', ');
          outcomes.push({ ...merge, message: `merging ${where} conflicts in ${list}` });
          continue;
        }
        outcomes.push({ merged: true, sha: merge.sha, base: target });
        target = merge.sha;
        targetTree = merge.tree;
      }
      if (target === start) return outcomes;
      const sentence = `could not move ${into} of ${withoutCredentials(repoUrl)} to the merge`;
      if (await repo.setBranch(into, target, start, sentence)) return outcomes;
      // The target moved on in the repository meanwhile: merge again onto where it is now.
      if (attempt >= PUSH_ATTEMPTS)
        throw new ProjectRepoError(
          'repo_unreachable',
          `${sentence}: it moved on during each of ${PUSH_ATTEMPTS} merges`,
        );
    }
  });
}

/**
 * Points branch `name` of the repository at commit `to`: only if it is at `from` when given
 * (a compare-and-swap, so a main that moved on meanwhile is never moved under someone),
 * else wherever it was. Serialised with the merges of the repo.
 */
export async function moveBranch(
  options: BranchOptions & { name: string; to: string; from?: string },
): Promise<void> {
  const { repoUrl, name, from, to } = options;
  for (const sha of from ? [from, to] : [to]) {
    if (!/^[0-9a-f]{40}$/.test(sha))
      throw new ProjectRepoError('git_failed', `"${sha}" is not a commit sha to move ${name} to`);
  }
  const sentence = `could not move ${name} of ${withoutCredentials(repoUrl)} ${from ? `from ${from.slice(0, 12)} ` : ''}to ${to.slice(0, 12)}`;
  await serialised(repoKey(options), async () => {
    await checkBranchName(name, repoUrl, options.signal, true);
    const repo = openRepo(options);
    // Read first: a remote's clone then has main's history to push from.
    await repo.heads([MAIN, name]);
    if (!(await repo.setBranch(name, to, from, sentence)))
      throw new ProjectRepoError(
        'repo_unreachable',
        `${sentence}: ${name} is no longer at ${from?.slice(0, 12)}`,
      );
  });
}

export type BranchOptions = RepoOptions;

/** The shas of the named branches of the repo now; a missing one is absent. */
export async function branchHeads(
  options: BranchOptions,
  names: string[],
): Promise<Map<string, string>> {
  return serialised(repoKey(options), () => openRepo(options).heads(names));
}

/** Copies branch `from` (e.g. `task/<id>`) of the repo to branch `to` (e.g.
 * `attempts/<id>/<n>`), replacing it, when `from` holds work of its own (commits main does
 * not have); returns the sha kept, or null when there was nothing to keep. Serialised with
 * the merges of the repo. */
export async function keepBranch(
  options: BranchOptions & { from: string; to: string },
): Promise<string | null> {
  const { repoUrl, from, to } = options;
  return withHeads(options, from, [to], async (repo, sha, main) => {
    if (await isAncestor(repo.gitDir, sha, main, options.signal)) return null;
    await repo.setBranch(
      to,
      sha,
      undefined,
      `could not push "${to}" to ${withoutCredentials(repoUrl)}`,
    );
    return sha;
  });
}

/** Whether branch `branch` of the repo exists and contains the repo's current main. */
export async function containsMain(options: BranchOptions & { branch: string }): Promise<boolean> {
  const contains = await withHeads(options, options.branch, [], (repo, sha, main) =>
    isAncestor(repo.gitDir, main, sha, options.signal),
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
  return withHeads(options, branch, [], async (repo, sha, main) => {
    const diff = (...args: string[]) =>
      runGit(
        [
          '--git-dir',
          repo.gitDir,
          'diff',
          '--no-color',
          '--no-ext-diff',
          '--no-textconv',
          '-M',
          ...args,
          `${main}...${sha}`,
        ],
        { signal },
      );
    try {
      return { patch: await diff(), numstat: await diff('--numstat') };
    } catch (err) {
      throw failure('git_failed', `could not read the diff of "${branch}" in ${repo.gitDir}`, err);
    }
  });
}

/**
 * `fn` on the repo (serialised with its merges) with `branch`'s sha and main's; null when
 * either is missing. Every name is checked first.
 */
async function withHeads<T>(
  options: BranchOptions,
  branch: string,
  others: string[],
  fn: (repo: MergeRepo, sha: string, main: string) => Promise<T>,
): Promise<T | null> {
  const { repoUrl, signal } = options;
  return serialised(repoKey(options), async () => {
    for (const name of [branch, ...others]) await checkBranchName(name, repoUrl, signal);
    const repo = openRepo(options);
    const heads = await repo.heads([MAIN, branch]);
    const sha = heads.get(branch);
    const main = heads.get(MAIN);
    if (!sha || !main) return null;
    return fn(repo, sha, main);
  });
}

/** Whether every commit of `ancestor` is in `of`. */
async function isAncestor(gitDir: string, ancestor: string, of: string, signal?: AbortSignal) {
  try {
    return await answersYes(
      runGit(['--git-dir', gitDir, 'merge-base', '--is-ancestor', ancestor, of], { signal }),
    );
  } catch (err) {
    throw failure('git_failed', `could not compare ${of} with ${ancestor} in ${gitDir}`, err);
  }
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

/**
 * Branch names that git takes by any of `check-ref-format`'s rules, as the lead's own are
 * (`task/<id>`, `attempts/<id>/<n>`, `main`): components of letters, digits, `_`, `-` and
 * inner dots, starting with a letter, digit or `_`, never ending in `.lock`. Others are
 * asked of git.
 */
const PLAIN_BRANCH = /^(?:\w(?:[\w.-]*[\w-])?\/)*\w(?:[\w.-]*[\w-])?$/;

export function plainBranchName(branch: string): boolean {
  return (
    PLAIN_BRANCH.test(branch) &&
    !branch.includes('..') &&
    !branch.split('/').some((part) => part.endsWith('.lock'))
  );
}

async function checkBranchName(
  branch: string,
  repoUrl: string,
  signal?: AbortSignal,
  mainToo = false,
) {
  const valid =
    plainBranchName(branch) ||
    (await runGit(['check-ref-format', `refs/heads/${branch}`], { signal }).then(
      () => true,
      (err: unknown) => {
        if (signal?.aborted) throw err;
        return false;
      },
    ));
  if (!valid || (branch === MAIN && !mainToo)) {
    throw new ProjectRepoError(
      'unknown_branch',
      `"${branch}" is not a task branch that can be merged into ${MAIN} of ${withoutCredentials(repoUrl)}`,
    );
  }
}
