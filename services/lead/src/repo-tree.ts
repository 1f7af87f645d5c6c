import { runGit } from '@codeframe/runtime';

// What a commit of a repository holds, read with git plumbing only (ls-tree, cat-file) from
// a bare copy: nothing is checked out, so no hook, filter or script of the repository runs.

export type TreeEntryKind = 'file' | 'symlink' | 'submodule';

export interface TreeEntry {
  path: string;
  kind: TreeEntryKind;
  /** Bytes of the blob; 0 for a submodule. */
  size: number;
  /** The blob's (or the submodule's commit's) object name. */
  object: string;
}

/** Every entry of the commit's tree, however deep, with names taken as git stores them. */
export async function listTree(gitDir: string, commit: string): Promise<TreeEntry[]> {
  const listing = await runGit(['--git-dir', gitDir, 'ls-tree', '-r', '-l', '-z', commit, '--']);
  const entries: TreeEntry[] = [];
  for (const record of listing.split('\0')) {
    // <mode> SP <type> SP <object> SP+ <size> TAB <path>; -z leaves the path unquoted.
    const match = /^(\d+) (\w+) ([0-9a-f]+) +(-|\d+)\t(.+)$/s.exec(record);
    if (!match) continue;
    const [, mode, type, object, size, path] = match as unknown as string[];
    const kind: TreeEntryKind =
      type === 'commit' ? 'submodule' : mode === '120000' ? 'symlink' : 'file';
    entries.push({ path: path!, kind, size: size === '-' ? 0 : Number(size), object: object! });
  }
  return entries;
}

/** The text of a blob (undecodable bytes as U+FFFD, a NUL kept as NUL). */
export function readBlob(gitDir: string, object: string): Promise<string> {
  return runGit(['--git-dir', gitDir, 'cat-file', 'blob', object]);
}
