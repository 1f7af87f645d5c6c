import { access, mkdtemp, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bwrapAvailable,
  type CommandOptions,
  runCommand,
  type SandboxMode,
  sandboxArgv,
  sandboxEnv,
} from './sandbox.js';

let worktree: string;
let server: Server;
let port: number;

beforeAll(async () => {
  worktree = await realpath(await mkdtemp(join(tmpdir(), 'sandbox-')));
  server = createServer((socket) => socket.end('hello\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(worktree, { recursive: true, force: true });
});

function run(mode: SandboxMode, command: string, extra: Partial<CommandOptions> = {}) {
  return runCommand({
    command,
    cwd: worktree,
    mode,
    timeoutMs: 20_000,
    maxOutputBytes: 1e6,
    ...extra,
  });
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** State and process group of a process, from /proc/<pid>/stat. */
async function procStat(pid: string | number): Promise<{ state: string; pgrp: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const [state = '', , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state, pgrp: Number(pgrp) };
}

/** Live (not zombie) processes in process group `pgid` or whose command line has `marker`:
 * the sleeps, the shell that started them and, sandboxed, bubblewrap. */
async function survivors(pgid: number, marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { state, pgrp } = await procStat(entry);
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (state !== 'Z' && (pgrp === pgid || cmdline.includes(marker))) {
        found.push(`${entry} ${cmdline.replaceAll('\0', ' ').trim()}`);
      }
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

/** Survivors once the kernel has had a moment to reap a killed group (up to 1.5 s). */
async function survivorsAfterKill(pgid: number, marker: string): Promise<string[]> {
  let left = await survivors(pgid, marker);
  for (let i = 0; i < 30 && left.length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await survivors(pgid, marker);
  }
  return left;
}

/** Starts `sh -c 'sleep & sleep & wait'` and returns once both sleeps run, with their group. */
async function startSleepers(mode: SandboxMode, extra: Partial<CommandOptions>) {
  const marker = `30.${process.pid}${Math.floor(Math.random() * 1e6)}`;
  const pending = run(mode, `sleep ${marker} & sleep ${marker} & wait`, extra);
  let sleepers: string[] = [];
  for (let i = 0; i < 50 && sleepers.length < 2; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    sleepers = (await survivors(-1, marker)).filter((p) => p.endsWith(` sleep ${marker}`));
  }
  expect(sleepers).toHaveLength(2);
  const { pgrp } = await procStat(sleepers[0]!.split(' ')[0]!);
  return { pending, marker, pgid: pgrp };
}

describe('sandboxArgv', () => {
  it('wraps /bin/sh in bubblewrap with no network, a read-only root and a writable worktree', () => {
    const argv = sandboxArgv('bwrap', 'echo hi', '/work/tree');
    expect(argv[0]).toBe('bwrap');
    expect(argv).toEqual(expect.arrayContaining(['--unshare-all', '--die-with-parent']));
    expect(argv.join(' ')).toContain('--ro-bind / / --dev /dev --proc /proc --tmpfs /tmp');
    expect(argv.join(' ')).toContain('--bind /work/tree /work/tree --chdir /work/tree');
    expect(argv.slice(-4)).toEqual(['--', '/bin/sh', '-c', 'echo hi']);
    expect(sandboxArgv('none', 'echo hi', '/work/tree')).toEqual(['/bin/sh', '-c', 'echo hi']);
  });

  it('gives the command a clean environment', () => {
    expect(sandboxEnv({ CI: 'true' })).toEqual({
      PATH: process.env.PATH,
      HOME: '/tmp',
      LANG: 'C.UTF-8',
      CI: 'true',
    });
  });
});

describe('runCommand', () => {
  it('finds bubblewrap usable here', async () => {
    expect(await bwrapAvailable()).toBe(true);
  });

  it.each(['bwrap', 'none'] as const)(
    'runs a command and passes its exit code (%s)',
    async (mode) => {
      const chunks: string[] = [];
      const ok = await run(mode, 'echo hello; echo oops >&2', {
        onOutput: (stream, chunk) => chunks.push(`${stream}:${chunk}`),
      });
      expect(ok).toMatchObject({
        exitCode: 0,
        stdout: 'hello\n',
        stderr: 'oops\n',
        truncated: false,
      });
      expect(chunks).toEqual(expect.arrayContaining(['stdout:hello\n', 'stderr:oops\n']));
      expect((await run(mode, 'exit 3')).exitCode).toBe(3);
      expect((await run(mode, 'echo "$GREETING"', { env: { GREETING: 'hi' } })).stdout).toBe(
        'hi\n',
      );
    },
  );

  it.each(['bwrap', 'none'] as const)(
    'keeps the environment of the worker from the command (%s)',
    async (mode) => {
      process.env.SANDBOX_SPEC_SECRET = 'api-key';
      try {
        const result = await run(mode, 'printenv SANDBOX_SPEC_SECRET || echo "unset $HOME"');
        expect(result.stdout).toBe('unset /tmp\n');
      } finally {
        delete process.env.SANDBOX_SPEC_SECRET;
      }
    },
  );

  it('lets the command write in the worktree and nowhere else', async () => {
    const name = `sandbox-escape-${process.pid}-${Date.now()}`;
    const sibling = join(worktree, '..', name);
    const command = `touch inside.txt && touch /root/${name}; echo root=$?; touch /work/${name}; echo work=$?; touch ${sibling}; echo tmp=$?`;
    const result = await run('bwrap', command);
    expect(result.stdout).toMatch(/root=[1-9]/);
    expect(result.stdout).toMatch(/work=[1-9]/);
    expect(result.stderr).toMatch(/Read-only file system/);
    expect(await exists(join(worktree, 'inside.txt'))).toBe(true);
    expect(await exists(`/root/${name}`)).toBe(false);
    expect(await exists(`/work/${name}`)).toBe(false);
    // /tmp is the sandbox's own: a write there succeeds but never reaches the host.
    expect(result.stdout).toContain('tmp=0');
    expect(await exists(sibling)).toBe(false);
  });

  it('cuts the command off the network, while without a sandbox it connects', async () => {
    const connect = `"${process.execPath}" -e "require('net').connect(${port}, '127.0.0.1').on('data', (d) => process.stdout.write(d)).on('error', (e) => { console.error(e.code); process.exit(7); })"`;
    const sandboxed = await run('bwrap', connect);
    expect(sandboxed.exitCode).toBe(7);
    expect(sandboxed.stderr).toMatch(/ECONNREFUSED|ENETUNREACH/);
    const open = await run('none', connect);
    expect(open).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
  });

  it.each(['bwrap', 'none'] as const)(
    'kills the command and all it started on timeout (%s)',
    async (mode) => {
      const started = Date.now();
      const { pending, marker, pgid } = await startSleepers(mode, { timeoutMs: 1_000 });
      const result = await pending;
      expect(result).toMatchObject({ timedOut: true, cancelled: false, exitCode: null });
      expect(result.signal).toBe('SIGKILL');
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(await survivorsAfterKill(pgid, marker)).toEqual([]);
    },
  );

  it.each(['bwrap', 'none'] as const)('kills the command when aborted (%s)', async (mode) => {
    const controller = new AbortController();
    const { pending, marker, pgid } = await startSleepers(mode, { signal: controller.signal });
    const aborted = Date.now();
    controller.abort();
    const result = await pending;
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
    expect(Date.now() - aborted).toBeLessThan(2_000);
    expect(await survivorsAfterKill(pgid, marker)).toEqual([]);
  });

  it('returns at once, cancelled, when the signal has already aborted', async () => {
    const result = await run('bwrap', 'echo never', { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ cancelled: true, stdout: '', exitCode: null });
  });

  it('caps the output and keeps draining', async () => {
    let streamed = 0;
    const result = await run('bwrap', 'yes | head -c 1000000; echo done >&2', {
      maxOutputBytes: 10_000,
      onOutput: (_stream, chunk) => {
        streamed += chunk.length;
      },
    });
    expect(result).toMatchObject({ exitCode: 0, truncated: true, stderr: '' });
    expect(result.stdout.length).toBe(10_000);
    expect(streamed).toBe(10_000);
  });
});
