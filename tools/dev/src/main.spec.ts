import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit, WORKSPACE_ROOT } from '@codeframe/testkit';
import { describe, expect, it } from 'vitest';

const entry = 'tools/dev/dist/main.js';
const anyPorts = {
  CODEFRAME_DATA_DIR: mkdtempSync(join(tmpdir(), 'launcher-')),
  CODEFRAME_LEAD_PORT: '0',
  CODEFRAME_WORKER_BACKEND_PORT: '0',
  CODEFRAME_WORKER_FRONTEND_PORT: '0',
  CODEFRAME_WORKER_TEST_PORT: '0',
  CODEFRAME_EDGE_PORT: '0',
  CODEFRAME_EDGE_GRPC_PORT: '0',
  CODEFRAME_FAKE_ANTHROPIC_PORT: '0',
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The pids whose parent is `pid`. */
const childPids = (pid: number) =>
  execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)])
    .toString()
    .trim()
    .split(/\s+/)
    .map(Number);

/** The processes (pid and command) still in any of the process groups `groups`. */
function processesIn(groups: number[]): string[] {
  return execFileSync('ps', ['-e', '-o', 'pgid=,pid=,args='])
    .toString()
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pgid]) => groups.includes(Number(pgid)))
    .map(([, pid, ...args]) => `${pid} ${args.join(' ')}`);
}

describe('npm start (the launcher)', () => {
  it('--once builds the example through the CLI and exits 0; the result passes its own tests', async () => {
    const run = await runToExit(entry, anyPorts, {
      args: ['--once', '--example', 'todo-api'],
      timeoutMs: 120_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/CodeFRAME-TS is up: 6 services healthy/);
    for (const name of [
      'fake-anthropic',
      'lead',
      'worker-backend',
      'worker-frontend',
      'worker-test',
      'edge',
    ]) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name}\\s+http://127\\.0\\.0\\.1:\\d+`, 'm'));
    }
    expect(run.stdout).toMatch(/offline scripted stand-in for the Anthropic API/);
    expect(run.stdout).toMatch(/store: correcting what failed above/);
    // store's tests fail first; page's tests pass but it throws in Chromium first.
    expect(run.stdout).toMatch(
      /page: ✗ page failed its browser check: 1 console errors \(uncaught TypeError/,
    );
    expect(run.stdout).toMatch(/page: ✓ page checked in Chromium/);
    expect(run.stdout).toMatch(/tasks 4\/4 completed · attempts 4 · corrections 2/);
    expect(run.stdout).toMatch(/✓ Todo API is built\./);
    expect(run.stdout).toMatch(/stopped \(--once\)/);
    const checkout = /repository {2}(\S+)/.exec(run.stdout)?.[1];
    expect(checkout).toBeDefined();
    const merges = execFileSync('git', ['log', '--merges', '--oneline'], { cwd: checkout })
      .toString()
      .trim()
      .split('\n');
    expect(merges).toHaveLength(4);
    const tests = spawnSync('npm', ['test'], { cwd: checkout, encoding: 'utf8' });
    expect(tests.status).toBe(0);
    expect(tests.stdout).toMatch(/# pass 10\n# fail 0/);
  }, 150_000);

  it('--example word-freq builds a project with an npm dependency, which no commit holds', async () => {
    const run = await runToExit(entry, anyPorts, {
      args: ['--once', '--example', 'word-freq'],
      timeoutMs: 150_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // From this machine's npm cache (which `npm ci` of this repository filled), else the
    // registry: either way the run says which.
    expect(run.stdout).toMatch(
      /Packages for the example: minimist (from this machine's npm cache .*: no registry needed|not in this machine's npm cache: the sandboxes fetch it from the registry)\./,
    );
    expect(run.stdout).toMatch(/tasks 3\/3 completed · attempts 3 · corrections 1/);
    const checkout = /repository {2}(\S+)/.exec(run.stdout)?.[1];
    expect(run.stdout).toContain(`cd ${checkout} && npm ci && npm test`);
    const everyPath = execFileSync('git', ['log', '--all', '--name-only', '--format='], {
      cwd: checkout,
    }).toString();
    expect(everyPath).toMatch(/^package-lock\.json$/m);
    expect(everyPath).not.toMatch(/node_modules/);
    const lock = JSON.parse(
      execFileSync('git', ['show', 'main:package-lock.json'], { cwd: checkout }).toString(),
    );
    expect(lock.packages['node_modules/minimist']).toMatchObject({
      version: expect.any(String),
      integrity: expect.stringMatching(/^sha512-/),
    });
    const install = spawnSync('npm', ['ci', '--prefer-offline'], {
      cwd: checkout,
      encoding: 'utf8',
    });
    expect(install.status).toBe(0);
    const tests = spawnSync('npm', ['test'], { cwd: checkout, encoding: 'utf8' });
    expect(tests.status).toBe(0);
    expect(tests.stdout).toMatch(/# pass 10\n# fail 0/);
  }, 180_000);

  it('--example slugkit changes an existing repository: the seed is its first commit, its tests still pass', async () => {
    const run = await runToExit(entry, anyPorts, {
      args: ['--once', '--example', 'slugkit'],
      timeoutMs: 150_000,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /The example changes an existing project: its repository is file:\/\/\S+-repos\/slugkit-[0-9a-f]+\.git/,
    );
    expect(run.stdout).toMatch(/tasks 2\/2 completed/);
    const checkout = /repository {2}(\S+)/.exec(run.stdout)?.[1];
    const first = execFileSync('git', ['log', '--reverse', '--format=%s', 'main'], {
      cwd: checkout,
      encoding: 'utf8',
    }).split('\n')[0];
    expect(first).toBe('chore: slugkit before the change');
    const tests = spawnSync('npm', ['test'], { cwd: checkout, encoding: 'utf8' });
    expect(tests.status).toBe(0);
    expect(tests.stdout).toMatch(/# pass 10\n# fail 0/);
  }, 180_000);

  it('keeps serving the dashboard after the run; SIGINT leaves no process behind', async () => {
    const launcher = spawn(process.execPath, [entry, '--example', 'csv-stats'], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, ...anyPorts },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      launcher.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('Press Ctrl-C to stop.')) resolve();
      });
      launcher.once('exit', () => reject(new Error(`launcher exited early:\n${stdout}`)));
    });
    const children = childPids(launcher.pid!);
    expect(children).toHaveLength(6);
    const dashboard = /dashboard {3}(http:\/\/\S+)\/\?project=(\S+)/.exec(stdout);
    expect(dashboard).not.toBeNull();
    const [, edge, projectId] = dashboard!;
    expect((await fetch(`${edge}/`)).status).toBe(200);
    const snapshot = (await (await fetch(`${edge}/api/projects/${projectId}/snapshot`)).json()) as {
      project: { status: string };
    };
    expect(snapshot.project.status).toBe('PROJECT_STATUS_COMPLETED');
    launcher.kill('SIGINT');
    const [code] = await once(launcher, 'exit');
    expect(code).toBe(0);
    expect(stdout).toMatch(/SIGINT: stopping every service/);
    expect(children.filter(alive)).toEqual([]);
  }, 150_000);

  it('--once interrupted by Ctrl-C mid-run stops every service, says what the run left, and exits 130', async () => {
    // Its own process group, which the test signals the way a terminal's Ctrl-C does: the
    // launcher and the CLI get SIGINT; the services, in groups of their own, do not.
    const launcher = spawn(process.execPath, [entry, '--once', '--example', 'todo-api'], {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, ...anyPorts },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    launcher.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const closed = once(launcher, 'close');
    await new Promise<void>((resolve, reject) => {
      launcher.stdout.on('data', () => {
        if (/ \S+: assigned to /.test(stdout)) resolve();
      });
      launcher.once('exit', () => reject(new Error(`launcher exited early:\n${stdout}`)));
    });
    // Each service leads a process group of its own (with its sandboxes and git commands).
    const groups = [launcher.pid!, ...childPids(launcher.pid!)];
    expect(groups.length).toBeGreaterThanOrEqual(7);
    process.kill(-launcher.pid!, 'SIGINT');
    const [code] = await closed;
    expect(code).toBe(130);
    const said = stdout.split('\n').filter((line) => line.includes('interrupted'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      /^✗ interrupted by SIGINT before the run ended: "Todo API" has [0-3] of 4 tasks completed.*, \d running.*, \d not started; every service is stopped$/,
    );
    expect(stdout).not.toMatch(/is built\.|stopped \(--once\)/);
    expect(processesIn(groups)).toEqual([]);
  }, 150_000);

  it('says which port is in use and which variable moves it', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as net.AddressInfo;
    try {
      const run = await runToExit(
        entry,
        { ...anyPorts, CODEFRAME_WORKER_TEST_PORT: String(port) },
        { args: ['--once'] },
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(
        `port ${port} on 127.0.0.1 (worker-test) is in use: stop what holds it, or set CODEFRAME_WORKER_TEST_PORT to another port`,
      );
    } finally {
      holder.close();
    }
  });

  it('reports a service that fails to start with its last lines', async () => {
    const run = await runToExit(
      entry,
      { ...anyPorts, CODEFRAME_WORKER_CAPACITY: 'lots' },
      { args: ['--once'], timeoutMs: 60_000 },
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ worker-backend exited \(78\) before it was listening/);
    expect(run.stdout).toMatch(
      /last lines of worker-backend:\n\s+worker-backend: configuration error: CODEFRAME_WORKER_CAPACITY="lots"/,
    );
  });

  it('refuses a bad port setting with one line', async () => {
    const run = await runToExit(entry, { CODEFRAME_LEAD_PORT: 'seven' });
    expect(run.code).toBe(78);
    expect(run.stderr.trim()).toBe(
      'codeframe: configuration error: CODEFRAME_LEAD_PORT="seven" is not a port number (expected an integer 0..65535)',
    );
  });
});
