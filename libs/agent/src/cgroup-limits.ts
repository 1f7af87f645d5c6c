import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

// Hard caps from the kernel on one command's processes and memory: a cgroup per command,
// which the command's first process joins before it becomes bubblewrap, so nothing it
// starts escapes. Used when the worker may create cgroups: as root (cgroup v1 or v2), or
// in a cgroup v2 subtree delegated to it with the pids and memory controllers. Elsewhere
// the sandbox's own supervisor and rlimits are the limits.
//
// Where cgroup v1's cpu controller is writable too, every command of the worker also joins
// one cpu cgroup of weight COMMANDS_CPU_SHARES: all of them together then weigh half what
// the worker's own process does. Niceness alone cannot do that, because it weighs each
// process (or, with autogroup scheduling, each session) on its own: 200 test runs at
// niceness 10 outweigh the worker twenty times over. (On cgroup v2 they are niced only.)

export type CgroupHit = 'processes' | 'memory';

/** The cgroup(s) of one command. */
export interface CommandCgroup {
  /** The cgroup.procs files the command's first process writes its pid into. */
  readonly procsFiles: string[];
  /** Which cap the kernel enforced on the command, if one did. */
  hit(): Promise<CgroupHit | null>;
  /** Gives it back once the command ended: kept for the next command when empty, else
   * emptied and removed. */
  release(): Promise<void>;
}

interface PooledCgroup {
  pidsDir: string;
  memoryDir: string;
  /** The caps last written to it. */
  limits: string;
}

const IDLE_LIMIT = 64;

interface Layout {
  version: 1 | 2;
  /** v1: the pids and memory hierarchies' directories for the worker; v2: one directory. */
  pids: string;
  memory: string;
  /** v1: the cpu hierarchy's directory for the worker; the commands share one group in it. */
  cpu?: string;
}

/**
 * The cpu.shares of the commands' group: half a process at niceness 0 (1024). Measured with
 * 50, 100 and 200 tasks at once on one worker (2 cores): the worker's event-loop delay p99
 * 9, 15 and 15 ms with makespans within 4% of no group (there 23, 64 and 66 ms); a whole
 * process's weight (1024) left 22, 17 and 29 ms, and a nice one's (110) 9, 11 and 10 ms
 * but made the tasks 14–38% slower, the test runs starved.
 */
export const COMMANDS_CPU_SHARES = 512;

/** Creates a cgroup per command under the worker's own. */
export class Cgroups {
  private constructor(private readonly layout: Layout) {}

  /** The cgroups this process may create children in, or null (with the reason). With
   * `nice` above 0 (commands yield to the worker), the commands' shared cpu cgroup too,
   * where the system has one. */
  static async detect(options: { nice?: number } = {}): Promise<{
    cgroups: Cgroups | null;
    reason: string;
  }> {
    let own: string;
    let mounts: string;
    try {
      own = await readFile('/proc/self/cgroup', 'utf8');
      mounts = await readFile('/proc/self/mountinfo', 'utf8');
    } catch {
      return { cgroups: null, reason: 'this system has no cgroups' };
    }
    const layout = v1Layout(own, mounts) ?? v2Layout(own, mounts);
    if (!layout) return { cgroups: null, reason: 'no pids and memory cgroup controllers' };
    for (const dir of new Set([layout.pids, layout.memory, ...(layout.cpu ? [layout.cpu] : [])]))
      await removeStale(dir, layout.version);
    const base = `codeframe-${process.pid}-${randomBytes(3).toString('hex')}`;
    const scoped: Layout = {
      version: layout.version,
      pids: join(layout.pids, base),
      memory: join(layout.memory, base),
    };
    try {
      for (const dir of new Set([scoped.pids, scoped.memory])) await mkdir(dir);
      if (scoped.version === 2) {
        await writeFile(join(scoped.pids, 'cgroup.subtree_control'), '+pids +memory');
      }
    } catch (err) {
      await Promise.all([rmdir(scoped.pids).catch(() => {}), rmdir(scoped.memory).catch(() => {})]);
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      return { cgroups: null, reason: `cannot create a cgroup under ${layout.pids} (${code})` };
    }
    const nice = options.nice ?? 0;
    if (layout.cpu && nice > 0) {
      const cpu = join(layout.cpu, base);
      try {
        await mkdir(cpu);
        await writeFile(join(cpu, 'cpu.shares'), String(COMMANDS_CPU_SHARES));
        scoped.cpu = cpu;
      } catch {
        // Not writable: the commands are niced only.
        await rmdir(cpu).catch(() => {});
      }
    }
    return { cgroups: new Cgroups(scoped), reason: '' };
  }

  /** Idle cgroups, kept for the next command: making one costs more than the command. */
  readonly #idle: PooledCgroup[] = [];

  /** A cgroup for one command with these caps: an idle one, else a new one. */
  async acquire(maxProcesses: number, maxMemoryBytes: number): Promise<CommandCgroup> {
    const { version, pids, memory } = this.layout;
    let group = this.#idle.pop();
    if (!group) {
      const name = randomBytes(6).toString('hex');
      group = { pidsDir: join(pids, name), memoryDir: join(memory, name), limits: '' };
      for (const dir of new Set([group.pidsDir, group.memoryDir])) await mkdir(dir);
    }
    const { pidsDir, memoryDir } = group;
    const limits = `${maxProcesses}/${maxMemoryBytes}`;
    if (group.limits !== limits) {
      await writeFile(join(pidsDir, 'pids.max'), String(maxProcesses));
      if (version === 1) {
        await writeFile(join(memoryDir, 'memory.limit_in_bytes'), String(maxMemoryBytes));
        // With swap accounting, swap counts too; without it the file does not exist.
        await writeFile(
          join(memoryDir, 'memory.memsw.limit_in_bytes'),
          String(maxMemoryBytes),
        ).catch(() => {});
      } else {
        await writeFile(join(memoryDir, 'memory.max'), String(maxMemoryBytes));
        await writeFile(join(memoryDir, 'memory.swap.max'), '0').catch(() => {});
      }
      group.limits = limits;
    }
    // The kernel's counters only grow: a hit is a count above the one at the start.
    const events = async () => {
      const pidEvents = await readFile(join(pidsDir, 'pids.events'), 'utf8').catch(() => '');
      const memoryFile = version === 1 ? 'memory.oom_control' : 'memory.events';
      const memEvents = await readFile(join(memoryDir, memoryFile), 'utf8').catch(() => '');
      return { pids: counter(pidEvents, 'max'), oom: counter(memEvents, 'oom_kill') };
    };
    const before = await events();
    const dirs = [...new Set([pidsDir, memoryDir])];
    const taken = group;
    const shared = this.layout.cpu ? [join(this.layout.cpu, 'cgroup.procs')] : [];
    return {
      procsFiles: [...dirs.map((dir) => join(dir, 'cgroup.procs')), ...shared],
      async hit() {
        const now = await events();
        if (now.pids > before.pids) return 'processes';
        return now.oom > before.oom ? 'memory' : null;
      },
      release: async () => {
        // Empty (the sandbox's end killed everything): idle for the next command.
        const procs = await Promise.all(
          dirs.map((dir) => readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => 'x')),
        );
        if (procs.every((p) => p.trim() === '') && this.#idle.length < IDLE_LIMIT) {
          this.#idle.push(taken);
          return;
        }
        for (const dir of dirs) await removeCgroup(dir, version);
      },
    };
  }

  /** Removes the idle cgroups and the worker's own, once no command runs. */
  async close(): Promise<void> {
    for (const group of this.#idle.splice(0)) {
      for (const dir of new Set([group.pidsDir, group.memoryDir])) {
        await removeCgroup(dir, this.layout.version).catch(() => {});
      }
    }
    for (const dir of new Set([this.layout.pids, this.layout.memory])) {
      await rmdir(dir).catch(() => {});
    }
    // The shared cpu cgroup empties as the commands end.
    if (this.layout.cpu) await removeCgroup(this.layout.cpu, this.layout.version).catch(() => {});
  }
}

/** Removes the cgroups a worker that died without closing (kill -9) left under `parent`. */
async function removeStale(parent: string, version: 1 | 2): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^codeframe-(\d+)-/.exec(name)?.[1]);
    if (!pid || alive(pid)) continue;
    const dir = join(parent, name);
    const children = (await readdir(dir, { withFileTypes: true }).catch(() => []))
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(dir, entry.name));
    for (const child of children) await removeCgroup(child, version).catch(() => {});
    await rmdir(dir).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function counter(text: string, key: string): number {
  return Number(new RegExp(`^${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

async function removeCgroup(dir: string, version: 1 | 2): Promise<void> {
  for (let attempt = 0; attempt < 60; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY') throw err;
    }
    // Something still lives in it (a process the sandbox's end has not reaped yet).
    if (version === 2) await writeFile(join(dir, 'cgroup.kill'), '1').catch(() => {});
    const procs = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of procs.split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    // Usually a few milliseconds: the sandbox's processes are being torn down.
    await new Promise((resolve) => setTimeout(resolve, Math.min(50, 2 ** attempt)));
  }
}

/** Mount points of the cgroup file systems, from /proc/self/mountinfo. */
function cgroupMounts(mountinfo: string): { point: string; type: string; options: string[] }[] {
  return mountinfo
    .split('\n')
    .map((line) => {
      const [left = '', right = ''] = line.split(' - ');
      const point = left.split(' ')[4] ?? '';
      const [type = '', , superOptions = ''] = right.split(' ');
      return { point, type, options: superOptions.split(',') };
    })
    .filter((m) => m.type === 'cgroup' || m.type === 'cgroup2');
}

function v1Layout(own: string, mountinfo: string): Layout | null {
  const mounts = cgroupMounts(mountinfo).filter((m) => m.type === 'cgroup');
  const dirFor = (controller: string) => {
    const line = own.split('\n').find((l) => l.split(':')[1]?.split(',').includes(controller));
    const mount = mounts.find((m) => m.options.includes(controller));
    if (!line || !mount) return null;
    return join(mount.point, line.split(':').slice(2).join(':'));
  };
  const pids = dirFor('pids');
  const memory = dirFor('memory');
  const cpu = dirFor('cpu') ?? undefined;
  return pids && memory ? { version: 1, pids, memory, ...(cpu ? { cpu } : {}) } : null;
}

function v2Layout(own: string, mountinfo: string): Layout | null {
  const mount = cgroupMounts(mountinfo).find((m) => m.type === 'cgroup2');
  const path = own
    .split('\n')
    .find((l) => l.startsWith('0::'))
    ?.slice(3);
  if (!mount || path === undefined) return null;
  const dir = join(mount.point, path);
  return { version: 2, pids: dir, memory: dir };
}
