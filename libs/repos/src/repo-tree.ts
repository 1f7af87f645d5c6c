import { GitFailure, runGit } from '@codeframe/runtime';

// What a commit of a repository holds, read with git's read-only commands (ls-tree, cat-file, grep on the commit) from
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

/**
 * The lines of the named files of the commit that match `pattern` (an extended regular
 * expression; only the matched part of each line is kept), by path, in one git process.
 * Binary files are skipped; at most `perFile` lines of a file are kept.
 */
export async function grepTree(
  gitDir: string,
  commit: string,
  pattern: string,
  paths: string[],
  perFile = 100,
): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  if (paths.length === 0) return found;
  const args = ['--git-dir', gitDir, 'grep', '-I', '-o', '-z', '-E', `--max-count=${perFile}`];
  const spec = paths.map((p) => `:(literal)${p}`);
  let output: string;
  try {
    output = await runGit([...args, '-e', pattern, commit, '--', ...spec]);
  } catch (err) {
    // git grep exits 1 when nothing matched.
    if (err instanceof GitFailure && /exited with 1$/.test(err.message)) return found;
    throw err;
  }
  // <commit>:<path> NUL <match> LF: a path holds no NUL, a match no LF.
  const prefix = `${commit}:`;
  for (let at = 0; at < output.length; ) {
    const nul = output.indexOf('\0', at);
    if (nul < 0) break;
    const end = output.indexOf('\n', nul);
    const path = output.slice(at, nul);
    const line = output.slice(nul + 1, end < 0 ? output.length : end);
    if (path.startsWith(prefix)) {
      const key = path.slice(prefix.length);
      const lines = found.get(key) ?? [];
      lines.push(line);
      found.set(key, lines);
    }
    at = end < 0 ? output.length : end + 1;
  }
  return found;
}
