import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  access,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  writeFile,
} from 'node:fs/promises';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowedHost } from './egress-proxy.js';
import { prepareWorktree, type Workspace } from './git-workspace.js';
import { type CommandOptions, SANDBOX_MODES, Sandbox, type SandboxMode } from './sandbox.js';
import { sandboxSettingsIn } from './sandbox-settings.js';

let dir: string;
let worktree: string;
let tcp: Server;
let port: number;
let http: HttpServer;
let httpPort: number;
const sandboxes: Partial<Record<SandboxMode, Sandbox>> = {};

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'sandbox-')));
  worktree = join(dir, 'worktree');
  await mkdir(worktree);
  tcp = createServer((socket) => socket.end('hello\n'));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  port = (tcp.address() as { port: number }).port;
  http = createHttpServer((req, res) => res.end(`registry says ${req.url}\n`));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpPort = (http.address() as { port: number }).port;
  // The "registry" is the HTTP server on loopback: allowed on its port, and only there.
  const allowedHosts = [parseAllowedHost(`http://127.0.0.1:${httpPort}`)];
  for (const mode of SANDBOX_MODES) {
    sandboxes[mode] = await Sandbox.create(
      sandboxSettingsIn(join(dir, mode), { mode, allowedHosts }),
    );
  }
});

afterAll(async () => {
  await Promise.all(Object.values(sandboxes).map((s) => s?.close()));
  await new Promise((resolve) => tcp.close(resolve));
  await new Promise((resolve) => http.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function run(mode: SandboxMode, command: string, extra: Partial<CommandOptions> = {}) {
  return sandboxes[mode]!.run({
    command,
    workspace: { path: worktree },
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

/** Live (not zombie) processes in process group `pgid` or whose command line has `marker`. */
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

/** A node one-liner run in the sandbox (the worker's own node is mounted read-only). */
const node = (script: string) => `node -e ${JSON.stringify(script)}`;

describe('Sandbox.run', () => {
  it.each(SANDBOX_MODES)('runs a command and passes its exit code (%s)', async (mode) => {
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
    expect((await run(mode, 'echo "$GREETING"', { env: { GREETING: 'hi' } })).stdout).toBe('hi\n');
  });

  it.each(SANDBOX_MODES)(
    'keeps the environment of the worker from the command (%s)',
    async (mode) => {
      process.env.SANDBOX_SPEC_SECRET = 'api-key';
      process.env.ANTHROPIC_API_KEY ??= 'sk-ant-spec';
      try {
        const result = await run(mode, 'env; printenv SANDBOX_SPEC_SECRET || echo "unset $HOME"');
        expect(result.stdout).toMatch(/unset \/tmp\n$/);
        expect(result.stdout).not.toMatch(/api-key|ANTHROPIC|CODEFRAME_AUTH/);
      } finally {
        delete process.env.SANDBOX_SPEC_SECRET;
      }
    },
  );

  it.each(SANDBOX_MODES)(
    "runs the command nice to the worker, with the worktree's node_modules/.bin first (%s)",
    async (mode) => {
      const bin = join(worktree, 'node_modules', '.bin');
      await mkdir(bin, { recursive: true });
      await writeFile(join(bin, 'project-tool'), '#!/bin/sh\necho "from the project"\n', {
        mode: 0o755,
      });
      try {
        const result = await run(mode, 'nice; project-tool');
        expect(result.stdout).toBe('10\nfrom the project\n');
      } finally {
        await rm(join(worktree, 'node_modules'), { recursive: true, force: true });
      }
    },
  );

  // Linux's autogroup scheduling shares the CPU between sessions first; only root may set a
  // session's group as often as commands start (others ten times a second, kernel-wide).
  const autogroup = existsSync('/proc/self/autogroup') && process.getuid?.() === 0;
  it.skipIf(!autogroup).each(SANDBOX_MODES)(
    `puts the command's session's scheduling group at its niceness (%s)${autogroup ? '' : ' (skipped: needs root and a kernel with autogroup scheduling)'}`,
    async (mode) => {
      const result = await run(mode, 'cat /proc/self/autogroup');
      expect(result.stdout).toMatch(/^\/autogroup-\d+ nice 10\n$/);
    },
  );

  it.each(SANDBOX_MODES)(
    'starts the command in a session of its own, with no controlling terminal (%s)',
    async (mode) => {
      // /proc/<pid>/stat: pid (comm) state ppid pgrp session tty_nr ...
      const result = await run(mode, 'read -r stat < /proc/$$/stat; set -- $stat; echo "$1 $6 $7"');
      const [pid, session, tty] = result.stdout.trim().split(' ');
      // Unsandboxed, the command's shell leads the session; in the sandbox its leader is
      // outside the sandbox's pid namespace, where it shows as 0.
      expect(session).toBe(mode === 'none' ? pid : '0');
      expect(tty).toBe('0');
    },
  );

  it('lets the command write in the worktree and nowhere else', async () => {
    const name = `sandbox-escape-${process.pid}-${Date.now()}`;
    const sibling = join(worktree, '..', name);
    const command = `touch inside.txt && touch /usr/${name}; echo usr=$?; touch /${name}; echo root=$?; touch ${sibling}; echo sibling=$?`;
    const result = await run('bwrap', command);
    expect(result.stdout).toMatch(/usr=[1-9]/);
    expect(result.stdout).toMatch(/root=[1-9]/);
    // The worktree's folder lies in /tmp here, which is the sandbox's own: the sibling's
    // write succeeds there and never reaches the host.
    expect(await exists(join(worktree, 'inside.txt'))).toBe(true);
    expect(await exists(`/usr/${name}`)).toBe(false);
    expect(await exists(sibling)).toBe(false);
    // /tmp is the sandbox's own: a write there succeeds but never reaches the host.
    expect((await run('bwrap', `echo x > /tmp/${name} && cat /tmp/${name}`)).stdout).toBe('x\n');
    expect(await exists(join(tmpdir(), name))).toBe(false);
  });

  it('shows a command nothing outside its worktree: home, other worktrees, data dirs, /etc/shadow', async () => {
    const secret = `secret-${process.pid}-${Date.now()}`;
    // Outside /tmp too: the sandbox's /tmp is its own, so a file there is hidden anyway.
    const outside = join(process.cwd(), `.codeframe-spec-${process.pid}`);
    const places = [
      join(homedir(), `.codeframe-spec-${process.pid}`),
      join(dir, 'other-worktree', 'notes.txt'),
      join(outside, 'work', 'worktrees', 'other-task', 'notes.txt'),
      join(outside, 'lead', 'lead.sqlite'),
      join(dir, 'bwrap', 'cache-sibling.txt'),
    ];
    for (const place of places) {
      await mkdir(join(place, '..'), { recursive: true });
      await writeFile(place, secret);
    }
    try {
      const reads = [...places, '/etc/shadow', '/proc/1/environ'].map((p) => `cat ${p}`);
      const result = await run('bwrap', `${reads.join('; ')}; ls / ${homedir()}; true`);
      expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
      expect(result.stderr).toMatch(/cat: \/etc\/shadow: No such file or directory/);
      expect(result.stdout.split('\n')).not.toContain('root');
      // The same read, unsandboxed, succeeds: the test can fail.
      expect((await run('none', `cat ${places[1]}`)).stdout).toBe(secret);
    } finally {
      await rm(places[0]!, { force: true });
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('cuts the command off the network: no direct connection, no name resolves', async () => {
    const connect = node(
      `require('net').connect(${port}, '127.0.0.1').on('data', (d) => process.stdout.write(d)).on('error', (e) => { console.error(e.code); process.exit(7); })`,
    );
    const sandboxed = await run('bwrap', connect);
    expect(sandboxed.exitCode).toBe(7);
    expect(sandboxed.stderr).toMatch(/ECONNREFUSED|ENETUNREACH/);
    const lookup = await run(
      'bwrap',
      node(
        `require('dns').lookup('registry.npmjs.org', (e) => { console.log(e ? e.code : 'resolved'); })`,
      ),
    );
    expect(lookup.stdout.trim()).toMatch(/^E[A-Z_]+$/);
    const open = await run('none', connect);
    expect(open).toMatchObject({ exitCode: 0, stdout: 'hello\n' });
  });

  it('reaches an allowed host through the proxy, and no other host or port', async () => {
    // Plain HTTP through the proxy, as npm does for an http:// registry.
    const get = (host: string, target: number) =>
      node(
        `require('http').get({ host: '127.0.0.1', port: 3128, path: 'http://${host}:${target}/pkg' }, (r) => { let b = ''; r.on('data', (d) => b += d).on('end', () => console.log(r.statusCode, b.trim())); }).on('error', (e) => console.log('error', e.code))`,
      );
    // A CONNECT tunnel, as npm does for an https:// registry.
    const tunnel = (host: string, target: number) =>
      node(
        `require('http').request({ host: '127.0.0.1', port: 3128, method: 'CONNECT', path: '${host}:${target}' }).on('connect', (r, s) => { console.log('connect', r.statusCode); s.destroy(); }).on('error', (e) => console.log('error', e.code)).end()`,
      );
    expect((await run('bwrap', get('127.0.0.1', httpPort))).stdout).toBe(
      `200 registry says /pkg\n`,
    );
    expect((await run('bwrap', tunnel('127.0.0.1', httpPort))).stdout).toBe('connect 200\n');
    expect((await run('bwrap', get('127.0.0.1', port))).stdout).toMatch(
      /^403 CodeFRAME sandbox: 127\.0\.0\.1:\d+ is not an allowed host/,
    );
    expect((await run('bwrap', tunnel('127.0.0.1', port))).stdout).toBe('connect 403\n');
    expect((await run('bwrap', tunnel('example.com', 443))).stdout).toBe('connect 403\n');
    expect((await run('bwrap', tunnel('localhost', httpPort))).stdout).toBe('connect 403\n');
    expect(sandboxes.bwrap!.refused).toEqual(
      expect.arrayContaining([`127.0.0.1:${port}`, 'example.com:443']),
    );
  });

  it.each(SANDBOX_MODES)('kills the command and all it started on timeout (%s)', async (mode) => {
    // The sleeps outlast the test's timeout: a command not killed fails the test.
    const { pending, marker, pgid } = await startSleepers(mode, { timeoutMs: 1_500 });
    const result = await pending;
    expect(result).toMatchObject({ timedOut: true, cancelled: false, exitCode: null });
    expect(result.signal).toBe('SIGKILL');
    expect(await survivorsAfterKill(pgid, marker)).toEqual([]);
  });

  it.each(SANDBOX_MODES)('kills the command when aborted (%s)', async (mode) => {
    const controller = new AbortController();
    const { pending, marker, pgid } = await startSleepers(mode, { signal: controller.signal });
    controller.abort();
    const result = await pending;
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
    expect(await survivorsAfterKill(pgid, marker)).toEqual([]);
  });

  it('returns at once, cancelled, when the signal has already aborted', async () => {
    const result = await run('bwrap', 'echo never', { signal: AbortSignal.abort() });
    expect(result).toMatchObject({ cancelled: true, stdout: '', exitCode: null });
  });

  it('caps the output, keeping its head and its end, and keeps draining', async () => {
    let streamed = 0;
    const result = await run('bwrap', 'seq 1 200000', {
      maxOutputBytes: 10_000,
      onOutput: (_stream, chunk) => {
        streamed += chunk.length;
      },
    });
    expect(result).toMatchObject({ exitCode: 0, truncated: true, stderr: '' });
    // The first half of the budget as it came, the last bytes after a line saying how much
    // was dropped between them; the whole budget streamed live.
    expect(result.stdout.startsWith('1\n2\n3\n')).toBe(true);
    expect(result.stdout.endsWith('\n199999\n200000\n')).toBe(true);
    const dropped = Number(/…\[(\d+) bytes of stdout dropped here/.exec(result.stdout)?.[1]);
    const total = 1_288_895; // bytes `seq 1 200000` prints
    expect(dropped).toBe(total - 10_000);
    expect(streamed).toBe(10_000);
  });
});

describe('git in the sandbox', () => {
  let ws: Workspace;
  const marker = () => join(dir, `armed-${Math.random().toString(36).slice(2)}`);

  beforeAll(async () => {
    const bare = join(dir, 'project.git');
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', bare]);
    const seed = join(dir, 'seed');
    execFileSync('git', ['clone', '--quiet', bare, seed]);
    await writeFile(join(seed, 'README.md'), '# project\n');
    const id = ['-c', 'user.name=t', '-c', 'user.email=t@t'];
    execFileSync('git', [...id, 'add', '.'], { cwd: seed });
    execFileSync('git', [...id, 'commit', '--quiet', '-m', 'seed'], { cwd: seed });
    execFileSync('git', ['push', '--quiet', 'origin', 'HEAD:main'], { cwd: seed });
    ws = await prepareWorktree({
      repoUrl: `file://${bare}`,
      baseRef: 'main',
      branch: 'task/git',
      workDir: join(dir, 'work'),
    });
  });

  const inWorktree = (command: string) =>
    sandboxes.bwrap!.run({ command, workspace: ws, timeoutMs: 20_000, maxOutputBytes: 1e6 });

  it('reads the repository: status, diff and log work', async () => {
    await writeFile(join(ws.path, 'new.txt'), 'new\n');
    const result = await inWorktree('git status --short && git log --format=%s');
    expect(result).toMatchObject({ exitCode: 0, stdout: '?? new.txt\nseed\n' });
  });

  it('cannot replace, re-point or arm .git', async () => {
    const armed = marker();
    const attempts = [
      'rm -f .git',
      'mv .git moved',
      `echo "gitdir: ${dir}" > .git`,
      `git config core.fsmonitor "touch ${armed}"`,
      `git config core.hooksPath /tmp`,
      `echo "* filter=x" > .gitattributes && git config filter.x.clean "touch ${armed}"`,
    ];
    for (const attempt of attempts) {
      const result = await inWorktree(attempt);
      expect({ attempt, failed: result.exitCode !== 0 }).toEqual({ attempt, failed: true });
    }
    expect(await readFile(join(ws.path, '.git'), 'utf8')).toBe(ws.dotGit);
    expect(await readFile(join(ws.commonDir, 'config'), 'utf8')).not.toMatch(
      /fsmonitor|hooksPath|filter/,
    );
    expect(await exists(armed)).toBe(false);
  });

  it("sees no other task's worktree state in the repository", async () => {
    const other = await prepareWorktree({
      repoUrl: `file://${join(dir, 'project.git')}`,
      baseRef: 'main',
      branch: 'task/other',
      workDir: join(dir, 'work'),
    });
    const result = await inWorktree(`ls ${join(ws.commonDir, 'worktrees')}; ls ${other.path}`);
    expect(result.stdout.trim().split('\n')).toEqual([ws.gitDir.split('/').at(-1)]);
    expect(result.stderr).toMatch(/No such file or directory/);
  });
});
