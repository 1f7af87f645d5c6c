import { lstat, readdir, readlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';

// What a sandboxed command sees of the file system: the system's programs and libraries
// read-only, a minimal /etc, its worktree, the package cache, a private /tmp, and nothing
// else: no home directory, no other worktree, nothing of the worker's or the lead's data.

/** Inside the sandbox: the package cache, and the supervisor with its proxy socket. */
export const SANDBOX_CACHE = '/cache';
export const SANDBOX_RUN = '/run/codeframe';
export const SANDBOX_INIT = `${SANDBOX_RUN}/init.cjs`;
export const SANDBOX_PROXY_SOCKET = `${SANDBOX_RUN}/proxy.sock`;
export const SANDBOX_SHIMS = `${SANDBOX_RUN}/bin`;

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** The parts of /etc that programs read to run, resolve, verify TLS and find libraries. */
const ETC_ENTRIES = [
  'alternatives',
  'ca-certificates',
  'ca-certificates.conf',
  'crypto-policies',
  'fonts',
  'gai.conf',
  'host.conf',
  'hosts',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'localtime',
  'mime.types',
  'nsswitch.conf',
  'os-release',
  'pki',
  'protocols',
  'resolv.conf',
  'services',
  'ssl',
  'timezone',
];
/** Per-version folders some toolchains keep in /etc (python3.11, java-17-openjdk, chromium). */
const ETC_PREFIXES = /^(python3|java-|chromium)/;

const exists = (path: string) =>
  lstat(path).then(
    (st) => st,
    () => null,
  );

/**
 * The mounts every command gets, computed once per worker: system folders (a symlinked
 * /bin or /lib stays a symlink), the /etc entries that exist here, and the extra read-only
 * paths (toolchains installed outside /usr, such as the worker's own Node.js).
 */
export async function systemMounts(readPaths: readonly string[]): Promise<string[]> {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    const st = await exists(dir);
    if (!st) continue;
    if (st.isSymbolicLink()) args.push('--symlink', await readlink(dir), dir);
    else args.push('--ro-bind', dir, dir);
  }
  args.push('--dir', '/etc');
  const etc = await readdir('/etc').catch(() => [] as string[]);
  for (const name of etc.filter((n) => ETC_ENTRIES.includes(n) || ETC_PREFIXES.test(n)).sort()) {
    args.push('--ro-bind-try', join('/etc', name), join('/etc', name));
  }
  for (const path of readPaths) {
    if (!isAbsolute(path)) throw new Error(`a sandbox read path must be absolute, not "${path}"`);
    if (!(await exists(path))) throw new Error(`the sandbox read path ${path} does not exist`);
    args.push('--ro-bind', path, path);
  }
  return args;
}

/** The install prefix of the running Node.js, when it lies outside /usr (nvm, /opt/node). */
export function nodePrefix(execPath = process.execPath): string | undefined {
  const prefix = dirname(dirname(execPath));
  return execPath.startsWith('/usr/') ? undefined : prefix;
}

/** A task's checkout: the worktree read-write; its git directories read-only when known. */
export interface SandboxWorkspace {
  path: string;
  /** The worktree's own git directory (`<mirror>/worktrees/<name>`). */
  gitDir?: string;
  /** The repository it belongs to (the worker's mirror). */
  commonDir?: string;
}

/** One of the worker's own files or folders, bound into a command's sandbox at `target`. */
export interface SandboxBind {
  source: string;
  target: string;
  writable?: boolean;
}

export interface CommandMounts {
  workspace: SandboxWorkspace;
  cacheDir: string;
  passwdFile: string;
  groupFile: string;
  initScript: string;
  shimDir?: string;
  proxySocket?: string;
  tmpBytes: number;
  binds?: readonly SandboxBind[];
}

/**
 * The per-command mounts. The worktree's `.git` file and its git directories are read-only
 * (git log, diff and status work; only the worker commits), and other worktrees' git
 * directories are hidden, so a command can neither re-point `.git` nor plant config, hooks
 * or attributes that the worker's own git would later run on the host.
 */
export function commandMounts(m: CommandMounts): string[] {
  const { path, gitDir, commonDir } = m.workspace;
  const args = [
    ...['--ro-bind', m.passwdFile, '/etc/passwd', '--ro-bind', m.groupFile, '/etc/group'],
    ...['--proc', '/proc', '--dev', '/dev'],
    ...['--size', String(m.tmpBytes), '--tmpfs', '/tmp'],
    ...['--size', String(m.tmpBytes), '--tmpfs', '/dev/shm'],
    ...['--dir', '/var', '--symlink', '../tmp', '/var/tmp'],
    ...['--bind', m.cacheDir, SANDBOX_CACHE],
    ...['--ro-bind', m.initScript, SANDBOX_INIT],
  ];
  if (m.shimDir) args.push('--ro-bind', m.shimDir, SANDBOX_SHIMS);
  if (m.proxySocket) args.push('--ro-bind', m.proxySocket, SANDBOX_PROXY_SOCKET);
  args.push('--bind', path, path);
  if (gitDir && commonDir) {
    args.push('--ro-bind', commonDir, commonDir, '--tmpfs', join(commonDir, 'worktrees'));
    args.push('--ro-bind', gitDir, gitDir, '--ro-bind', join(path, '.git'), join(path, '.git'));
  }
  for (const b of m.binds ?? []) {
    if (!isAbsolute(b.target))
      throw new Error(`a sandbox bind target must be absolute, not "${b.target}"`);
    args.push(b.writable ? '--bind' : '--ro-bind', b.source, b.target);
  }
  // The root itself (where bubblewrap made the mount points) is read-only too.
  args.push('--remount-ro', '/', '--chdir', path);
  return args;
}
