import { lstat, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

// The model names files relative to the worktree. Everything it reads or writes goes through
// here, so that neither `..`, an absolute path nor a symlink the repository (or the model)
// planted can reach a file outside the worktree, and so that git's own files stay git's.

/** A path the model gave that would leave the worktree or touch `.git`. */
export class PathEscapeError extends Error {
  readonly code = 'path_escape';

  constructor(message: string) {
    super(message);
    this.name = 'PathEscapeError';
  }
}

/**
 * Resolves `path` (relative to `root`) to an absolute path inside the worktree, or throws
 * PathEscapeError. The path need not exist yet: a new file under new folders is allowed, as
 * long as its longest existing prefix really lies inside the worktree.
 */
export async function resolveInWorktree(root: string, path: string): Promise<string> {
  const shown = JSON.stringify(path);
  if (path.includes('\0')) throw new PathEscapeError(`path ${shown} contains a NUL byte`);
  if (isAbsolute(path)) {
    throw new PathEscapeError(
      `path ${shown} is absolute: give a path relative to the worktree root`,
    );
  }
  const base = resolve(root);
  const lexical = relative(base, resolve(base, path));
  if (leavesRoot(lexical)) throw new PathEscapeError(`path ${shown} is outside the worktree`);
  refuseGitDir(shown, lexical);

  // Symlinks are followed as the kernel would follow them, then the result checked again.
  const realRoot = await realpath(base);
  const real = await realPathOf(resolve(base, lexical), shown);
  const inside = relative(realRoot, real);
  if (leavesRoot(inside)) {
    throw new PathEscapeError(
      `path ${shown} is outside the worktree: it goes through a symlink to ${real}`,
    );
  }
  refuseGitDir(shown, inside);
  return join(base, inside);
}

function leavesRoot(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

function refuseGitDir(shown: string, rel: string): void {
  // Case-insensitively, for file systems where `.GIT` is the same folder as `.git`.
  if (rel.split(sep).some((part) => part.toLowerCase() === '.git')) {
    throw new PathEscapeError(
      `path ${shown} is inside .git, which the worker manages: use the files of the worktree`,
    );
  }
}

/** The real path of `path`: realpath of its longest existing prefix, plus the missing rest. */
async function realPathOf(path: string, shown: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new PathEscapeError(`path ${shown} goes through a symlink loop`);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
  }
  // It exists but cannot be resolved: a symlink to nowhere, which writing would follow to
  // wherever it points (possibly outside), so it is refused rather than guessed at.
  const exists = await lstat(path).then(
    () => true,
    () => false,
  );
  if (exists) {
    throw new PathEscapeError(`path ${shown} goes through a symlink whose target does not exist`);
  }
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await realPathOf(parent, shown), basename(path));
}
