import type { CommandResult } from './process-run.js';
import type { InitReport } from './sandbox-init.js';

// The limits every sandboxed command runs under, and the sentence that names the one a
// command hit, so the model (and the person watching) knows why it stopped.

export interface SandboxLimits {
  /** Processes and threads of one command together. */
  maxProcesses: number;
  /** Memory of one command, all its processes together (and of each one, as an rlimit). */
  maxMemoryBytes: number;
  /** The largest file a command may write. */
  maxFileBytes: number;
  /** Size of the private /tmp (and of /dev/shm). */
  tmpBytes: number;
  /** What the worktree may hold, dependencies included. */
  maxDiskBytes: number;
  /** Free space the worker's disk keeps; a command that eats into it is stopped. */
  minFreeBytes: number;
  /** The niceness commands run at (0–19): the worker's own loop, which streams every task's
   * events and answers the lead, comes first when test runs fill the machine's cores. */
  nice: number;
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${Math.round(bytes / MIB)} MiB`;

export type LimitName = 'processes' | 'memory' | 'disk' | 'disk-free' | 'file-size' | 'tmp';

/** The sentence for a limit the command hit. */
export function limitSentence(limit: LimitName, limits: SandboxLimits): string {
  switch (limit) {
    case 'processes':
      return `it reached the sandbox's limit of ${limits.maxProcesses} processes (CODEFRAME_SANDBOX_MAX_PROCESSES)`;
    case 'memory':
      return `it used more than ${mib(limits.maxMemoryBytes)} of memory, the sandbox's limit (CODEFRAME_SANDBOX_MEMORY_MB)`;
    case 'disk':
      return `the worktree grew past ${mib(limits.maxDiskBytes)}, the sandbox's disk limit (CODEFRAME_SANDBOX_DISK_MB)`;
    case 'disk-free':
      return `the worker's disk has less than ${mib(limits.minFreeBytes)} free`;
    case 'file-size':
      return `it wrote a file of ${mib(limits.maxFileBytes)}, the sandbox's file-size limit (CODEFRAME_SANDBOX_FILE_MB)`;
    case 'tmp':
      return `it ran out of space (/tmp holds ${mib(limits.tmpBytes)}, CODEFRAME_SANDBOX_TMP_MB)`;
  }
}

const OUT_OF_MEMORY =
  /JavaScript heap out of memory|Array buffer allocation failed|Fatal process out of memory|MemoryError|Cannot allocate memory|std::bad_alloc|out of memory/i;
const FILE_TOO_LARGE = /File size limit exceeded|File too large|EFBIG/;
const NO_SPACE = /No space left on device|ENOSPC/;

/**
 * Which limit stopped a command: what the supervisor or the kernel's cgroup reported, else
 * what the exit and the output show (an rlimit makes an allocation or a write fail, and
 * the program says so in its own words).
 */
export function limitHit(
  reported: InitReport | undefined,
  cgroupHit: 'processes' | 'memory' | null,
  result: Pick<CommandResult, 'exitCode' | 'signal' | 'stdout' | 'stderr'>,
): LimitName | undefined {
  if (reported && 'limit' in reported) return reported.limit;
  if (cgroupHit) return cgroupHit;
  const signal = reported && 'exit' in reported ? reported.exit.signal : result.signal;
  if (signal === 'SIGXFSZ' || result.exitCode === 128 + 25) return 'file-size';
  if (result.exitCode === 0) return undefined;
  const output = `${result.stdout}\n${result.stderr}`;
  if (FILE_TOO_LARGE.test(output)) return 'file-size';
  if (OUT_OF_MEMORY.test(output)) return 'memory';
  if (NO_SPACE.test(output)) return 'tmp';
  return undefined;
}
