import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS_CPU_SHARES } from './cgroup-limits.js';
import { Sandbox } from './sandbox.js';
import { limitHit } from './sandbox-limits.js';
import { DEFAULT_SANDBOX_LIMITS, sandboxSettingsIn } from './sandbox-settings.js';

const MIB = 1024 * 1024;
let dir: string;
let sandbox: Sandbox;
let small: Sandbox;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'sandbox-limits-')));
  await mkdir(join(dir, 'worktree'));
  sandbox = await Sandbox.create(sandboxSettingsIn(join(dir, 'default')));
  small = await Sandbox.create(
    sandboxSettingsIn(join(dir, 'small'), {
      limits: { ...DEFAULT_SANDBOX_LIMITS, tmpBytes: 32 * MIB, maxDiskBytes: 200 * MIB },
    }),
  );
});

afterAll(async () => {
  await sandbox?.close();
  await small?.close();
  await rm(dir, { recursive: true, force: true });
});

const run = (command: string, box = sandbox) =>
  box.run({
    command,
    workspace: { path: join(dir, 'worktree') },
    timeoutMs: 60_000,
    maxOutputBytes: 20_000,
  });

/** Processes on the host whose command line holds `marker`: what is left of a command. */
async function leftOver(marker: string): Promise<number> {
  let count = 0;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(marker)) count++;
  }
  return count;
}

/** As root without a writable cgroup nothing holds a hard process cap (root is exempt from
 * RLIMIT_NPROC): the supervisor alone would stop a bomb only after it filled the host's
 * process table, so that case is not run here. */
const bombSafe = () => sandbox.kernelLimits || process.getuid?.() !== 0;

describe('sandbox limits (defaults)', () => {
  it('stops a fork bomb at the process limit, and names it', async (ctx) => {
    if (!bombSafe()) {
      console.warn(
        'skipped: running as root without a writable cgroup, a fork bomb has no hard cap here',
      );
      ctx.skip();
    }
    const bomb = `bomb${process.pid}`;
    const result = await run(`${bomb}() { ${bomb} | ${bomb} & }; ${bomb}; sleep 5`);
    expect(result.limit).toBe(
      "the command was stopped: it reached the sandbox's limit of 1024 processes (CODEFRAME_SANDBOX_MAX_PROCESSES)",
    );
    expect(result.timedOut).toBe(false);
    // Everything it started is gone.
    for (let i = 0; i < 40 && (await leftOver(bomb)) > 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await leftOver(bomb)).toBe(0);
    // And the sandbox runs the next command as usual.
    expect((await run('echo fine')).stdout).toBe('fine\n');
  });

  it('stops a 4 GiB allocation at the memory limit, and names it', async () => {
    const alloc = await run(`python3 -c "x = bytearray(b'x') * (4 << 30)"`);
    expect(alloc.exitCode).not.toBe(0);
    expect(alloc.limit).toMatch(
      /used more than 2048 MiB of memory, the sandbox's limit \(CODEFRAME_SANDBOX_MEMORY_MB\)/,
    );
    // Growing in pieces, as a leaking program does, ends the same way.
    const leak = await run('node -e "const a = []; for (;;) a.push(Buffer.alloc(1 << 24, 1))"');
    expect(leak.limit).toMatch(/used more than 2048 MiB of memory/);
  });

  it('stops a 10 GiB file at the file-size limit, and names it', async () => {
    const result = await run('head -c 10G /dev/zero > big.bin');
    expect(result.limit).toBe(
      "the command was stopped: it wrote a file of 1024 MiB, the sandbox's file-size limit (CODEFRAME_SANDBOX_FILE_MB)",
    );
    expect((await stat(join(dir, 'worktree', 'big.bin'))).size).toBe(1024 * MIB);
    await rm(join(dir, 'worktree', 'big.bin'));
  });
});

describe('sandbox limits (disk)', () => {
  it('keeps /tmp to its size, and names it', async () => {
    const result = await run('head -c 100M /dev/zero > /tmp/fill', small);
    expect(result.limit).toBe(
      'the command was stopped: it ran out of space (/tmp holds 32 MiB, CODEFRAME_SANDBOX_TMP_MB)',
    );
  });

  it('stops a command that fills the worktree past the disk limit, and names it', async () => {
    const result = await run(
      'for i in 1 2 3 4 5 6; do head -c 60M /dev/zero > fill-$i; done; sleep 5',
      small,
    );
    expect(result.limit).toBe(
      "the command was stopped: the worktree grew past 200 MiB, the sandbox's disk limit (CODEFRAME_SANDBOX_DISK_MB)",
    );
    expect(result.timedOut).toBe(false);
    await run('rm -f fill-*', small);
  });
});

describe('the CPU of commands', () => {
  // cgroup v1's cpu controller, writable: the worker's commands share one group there.
  const cpuRoot = '/sys/fs/cgroup/cpu';
  const ours = async () =>
    (await readdir(cpuRoot).catch(() => [] as string[])).filter((name) =>
      name.startsWith(`codeframe-${process.pid}-`),
    );

  it('puts all commands in one cpu cgroup, weighing half the worker', async (ctx) => {
    const v1Cpu = await stat(join(cpuRoot, 'cpu.shares')).then(
      () => true,
      () => false,
    );
    if (!sandbox.kernelLimits || !v1Cpu || process.getuid?.() !== 0) {
      console.warn(
        'skipped: no writable cgroup v1 cpu controller here (on v2 commands are niced only)',
      );
      ctx.skip();
    }
    // One group per sandbox (this file makes two), each of the same weight.
    const groups = (await ours()).map((name) => join(cpuRoot, name));
    expect(groups.length).toBeGreaterThan(0);
    for (const group of groups) {
      expect((await readFile(join(group, 'cpu.shares'), 'utf8')).trim()).toBe(
        String(COMMANDS_CPU_SHARES),
      );
    }
    const procs = async (group: string) =>
      (await readFile(join(group, 'cgroup.procs'), 'utf8')).split('\n').filter(Boolean);
    // Two commands at once: both in one group while they run, and it empties as they end.
    const running = [run('sleep 1'), run('sleep 1')];
    let shared: string | undefined;
    for (let i = 0; i < 100 && !shared; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      for (const group of groups) if ((await procs(group)).length >= 2) shared = group;
    }
    expect(shared).toBeDefined();
    for (const result of await Promise.all(running)) expect(result.exitCode).toBe(0);
    expect(await procs(shared!)).toEqual([]);
  });
});

describe('limitHit', () => {
  const quiet = { exitCode: 1, signal: null, stdout: '', stderr: '' };
  it('trusts what the supervisor and the cgroup reported first', () => {
    expect(limitHit({ limit: 'disk', observed: 1 }, 'memory', quiet)).toBe('disk');
    expect(limitHit(undefined, 'processes', quiet)).toBe('processes');
  });
  it("reads an rlimit from the exit and the program's own words", () => {
    expect(limitHit({ exit: { code: null, signal: 'SIGXFSZ' } }, null, quiet)).toBe('file-size');
    expect(limitHit(undefined, null, { ...quiet, stderr: 'MemoryError' })).toBe('memory');
    expect(limitHit(undefined, null, { ...quiet, stderr: 'write: No space left on device' })).toBe(
      'tmp',
    );
    expect(
      limitHit(undefined, null, { ...quiet, exitCode: 0, stderr: 'MemoryError' }),
    ).toBeUndefined();
    expect(limitHit(undefined, null, quiet)).toBeUndefined();
  });
});
