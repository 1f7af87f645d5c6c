import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, mkdir, open, opendir } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';

// The file tools' access to the worktree, which a model's commands shaped: whatever lies at
// a path (a FIFO, a device, a symlink swapped in, a sparse file of any size, a million
// files), a call opens nothing that can block, reads a bounded prefix, and fails with a
// sentence naming the path and the cause.

/** A file operation the model asked for that cannot be done; the message says why. */
export class FileToolError extends Error {}

// O_NONBLOCK: opening a FIFO never waits for a writer (or reader). O_NOFOLLOW: a symlink
// swapped in after the path guard resolved the path is not followed.
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;
const WRITE_FLAGS =
  constants.O_WRONLY |
  constants.O_CREAT |
  constants.O_TRUNC |
  constants.O_NONBLOCK |
  constants.O_NOFOLLOW;

export interface FilePrefix {
  text: string;
  /** The file's size in bytes. */
  size: number;
  truncated: boolean;
}

/** Reads up to `maxBytes` of the regular file at `file` (the model called it `shown`). */
export async function readRegularFile(
  file: string,
  shown: string,
  maxBytes: number,
): Promise<FilePrefix> {
  const handle = await open(file, READ_FLAGS).catch((err) => {
    throw fileError(err, shown);
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegular(shown, info);
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes));
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return {
      text: buffer.subarray(0, length).toString('utf8'),
      size: info.size,
      truncated: info.size > length,
    };
  } finally {
    await handle.close();
  }
}

/**
 * Writes `content` to the regular file at `file`, creating it and its folders if missing.
 * Returns whether it existed. Anything but a regular file there is refused.
 */
export async function writeRegularFile(
  worktree: string,
  file: string,
  shown: string,
  content: string,
): Promise<boolean> {
  const fail = async (err: NodeJS.ErrnoException) => {
    const inTheWay = err.code === 'ENOTDIR' || err.code === 'EEXIST';
    throw fileError(err, shown, inTheWay ? await fileInTheWay(worktree, file) : undefined);
  };
  const existing = await lstat(file).catch((err) =>
    err.code === 'ENOENT' ? undefined : fail(err),
  );
  if (existing && !existing.isFile()) throw notRegular(shown, existing);
  await mkdir(dirname(file), { recursive: true }).catch(fail);
  const handle = await open(file, WRITE_FLAGS, 0o644).catch(fail);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw notRegular(shown, info);
    await handle.writeFile(content).catch((err) => {
      throw fileError(err, shown);
    });
  } finally {
    await handle.close();
  }
  return existing !== undefined;
}

export interface WalkLimits {
  /** Folder names not descended into (`.git`, `node_modules`). */
  skip: ReadonlySet<string>;
  /** Entries looked at before the walk stops. */
  maxEntries: number;
}

export interface Walk {
  /** Regular files, relative to the worktree, sorted. */
  files: string[];
  /** True when the walk stopped at `maxEntries`. */
  stopped: boolean;
}

/** Lists the regular files under `root` (inside `worktree`), following no symlinks. */
export async function walkFiles(
  worktree: string,
  root: string,
  shown: string,
  limits: WalkLimits,
): Promise<Walk> {
  const info = await lstat(root).catch((err) => {
    throw fileError(err, shown);
  });
  if (info.isFile()) return { files: [relative(worktree, root)], stopped: false };
  if (!info.isDirectory()) throw notRegular(shown, info);
  const files: string[] = [];
  const folders = [root];
  let seen = 0;
  for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
    // A folder that vanished or cannot be read (too deep, no permission) is left out.
    const entries = await opendir(folder).catch(() => undefined);
    if (!entries) continue;
    for await (const entry of entries as AsyncIterable<Dirent>) {
      if (++seen > limits.maxEntries) {
        await entries.close().catch(() => {});
        return { files: files.sort(), stopped: true };
      }
      const path = join(folder, entry.name);
      if (entry.isDirectory() && !limits.skip.has(entry.name)) folders.push(path);
      else if (entry.isFile()) files.push(relative(worktree, path));
    }
  }
  return { files: files.sort(), stopped: false };
}

const KINDS: [(s: Stats) => boolean, string][] = [
  [(s) => s.isDirectory(), 'a folder'],
  [(s) => s.isFIFO(), 'a FIFO (named pipe)'],
  [(s) => s.isSocket(), 'a socket'],
  [(s) => s.isSymbolicLink(), 'a symlink'],
  [(s) => s.isCharacterDevice() || s.isBlockDevice(), 'a device'],
];

function notRegular(shown: string, info: Stats): FileToolError {
  const kind = KINDS.find(([is]) => is(info))?.[1] ?? 'not a plain file';
  if (info.isDirectory()) return new FileToolError(`${shown}: it is a folder, not a file`);
  return new FileToolError(
    `${shown}: it is ${kind}, not a regular file; the file tools read and write only regular files`,
  );
}

/** The file in the way when a folder on the path to `file` could not be made. */
async function fileInTheWay(worktree: string, file: string): Promise<string | undefined> {
  for (let at = dirname(file); at.startsWith(`${worktree}${sep}`); at = dirname(at)) {
    const info = await lstat(at).catch(() => undefined);
    if (info?.isDirectory()) return undefined;
    if (info) return `${relative(worktree, at).split(sep).join('/')} is a file, not a folder`;
  }
  return undefined;
}

const CAUSES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'a part of the path is a file, not a folder',
  ENAMETOOLONG: 'a name in the path is too long (file systems allow 255 bytes per name)',
  ELOOP: 'it is a symlink (or goes through a loop of them), which the file tools do not follow',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file would be larger than allowed',
  ENXIO: 'it is a FIFO or device with nothing at the other end',
  EMFILE: 'the worker has too many files open; try again',
  ENFILE: 'the machine has too many files open; try again',
  EBUSY: 'it is busy',
  ETXTBSY: 'it is a program that is running',
  EINVAL: 'the path is not valid here',
  EIO: 'an input/output error on the disk',
};

/** An error from the file system, as a sentence naming the path and the cause. */
export function fileError(err: unknown, shown: string, cause?: string): Error {
  if (err instanceof FileToolError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) return err as Error;
  return new FileToolError(`${shown}: ${cause ?? CAUSES[code] ?? `failed (${code})`}`);
}
