import { GitFailure, runGit } from '@codeframe/runtime';
import { rememberTree } from './loose-refs.js';

// A merge with git plumbing, in a repository's object store and nowhere else: no working
// tree, no index, no checkout. merge-tree computes the merged tree (or the conflicts),
// commit-tree writes the merge commit; moving a branch to it is the caller's.

/** The merge of `tip` into `base`: a new commit (with its tree), `base` itself when `tip` is
 * in it already, or the files that conflict. */
export type TreeMerge =
  | { merged: true; sha: string; tree?: string }
  | { merged: false; conflict: true; files: string[] };

export interface TreeMergeOptions {
  /** The repository (bare or not) that holds both commits. */
  gitDir: string;
  /** The commit merged into: main's. */
  base: string;
  /** `base`'s tree, when known: a merge whose tree differs from it cannot be of a `tip` that
   * `base` contains, so that is not asked of git. */
  baseTree?: string;
  /** The commit merged: the task branch's. */
  tip: string;
  /** The merge commit's message. */
  message: string;
  signal?: AbortSignal;
}

/** Writes the merge commit of `tip` into `base` (parents base, tip: --no-ff), or says what
 * conflicts; the repository's refs are left as they were. Two git processes (merge-tree,
 * commit-tree) when `baseTree` is given, a third (merge-base) only when the merge leaves
 * `base`'s tree as it was. */
export async function mergeTrees(options: TreeMergeOptions): Promise<TreeMerge> {
  const { gitDir, base, baseTree, tip, message, signal } = options;
  const git = (args: string[]) => runGit(['--git-dir', gitDir, ...args], { signal });
  // A branch with nothing of its own (its tip is main's) needs no git to say so.
  if (tip === base) return { merged: true, sha: base, ...(baseTree ? { tree: baseTree } : {}) };
  let tree: string;
  try {
    tree = (
      await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', base, tip])
    )
      .split('\0')[0]!
      .trim();
  } catch (err) {
    // Status 1: the merge has conflicts; its output is the tree, then the conflicted files.
    // (A tip that base contains never conflicts: its merge is base's tree.)
    if (!(err instanceof GitFailure) || err.exit?.status !== 1) throw err;
    const [, ...files] = err.exit.stdout.split('\0');
    return { merged: false, conflict: true, files: [...new Set(files.filter(Boolean))].sort() };
  }
  // Contained in base, tip's merge is base's tree; the same tree may also come of work that
  // base has by other commits, which still gets its merge commit.
  if (tree === baseTree || baseTree === undefined) {
    if (await answersYes(git(['merge-base', '--is-ancestor', tip, base])))
      return { merged: true, sha: base, tree };
  }
  const sha = (await git(['commit-tree', tree, '-p', base, '-p', tip, '-m', message])).trim();
  rememberTree(sha, tree);
  return { merged: true, sha, tree };
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
