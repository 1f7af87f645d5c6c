import { GitFailure, runGit } from '@codeframe/runtime';

// A merge with git plumbing, in a repository's object store and nowhere else: no working
// tree, no index, no checkout. merge-tree computes the merged tree (or the conflicts),
// commit-tree writes the merge commit; moving a branch to it is the caller's.

/** The merge of `tip` into `base`: a new commit, `base` itself when `tip` is in it already,
 * or the files that conflict. */
export type TreeMerge =
  | { merged: true; sha: string }
  | { merged: false; conflict: true; files: string[] };

export interface TreeMergeOptions {
  /** The repository (bare or not) that holds both commits. */
  gitDir: string;
  /** The commit merged into: main's. */
  base: string;
  /** The commit merged: the task branch's. */
  tip: string;
  /** The merge commit's message. */
  message: string;
  signal?: AbortSignal;
}

/** Writes the merge commit of `tip` into `base` (parents base, tip: --no-ff), or says what
 * conflicts; the repository's refs are left as they were. */
export async function mergeTrees(options: TreeMergeOptions): Promise<TreeMerge> {
  const { gitDir, base, tip, message, signal } = options;
  const git = (args: string[]) => runGit(['--git-dir', gitDir, ...args], { signal });
  // A branch with nothing of its own (its tip is main's) needs no git to say so.
  if (tip === base || (await answersYes(git(['merge-base', '--is-ancestor', tip, base]))))
    return { merged: true, sha: base };
  let tree: string;
  try {
    tree = (
      await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', base, tip])
    )
      .split('\0')[0]!
      .trim();
  } catch (err) {
    // Status 1: the merge has conflicts; its output is the tree, then the conflicted files.
    if (!(err instanceof GitFailure) || err.exit?.status !== 1) throw err;
    const [, ...files] = err.exit.stdout.split('\0');
    return { merged: false, conflict: true, files: [...new Set(files.filter(Boolean))].sort() };
  }
  const sha = await git(['commit-tree', tree, '-p', base, '-p', tip, '-m', message]);
  return { merged: true, sha: sha.trim() };
}

/** A yes-or-no git command: status 0 is yes, 1 is no, anything else fails. */
export async function answersYes(run: Promise<string>): Promise<boolean> {
  try {
    await run;
    return true;
  } catch (err) {
    if (err instanceof GitFailure && err.exit?.status === 1) return false;
    throw err;
  }
}
