// The worker as a model would attack it: commands that plant code for the worker's own git
// to run on the host, read what is not theirs, or exhaust the machine; and as a real
// project needs it: dependencies from the registry, or from a seeded cache with no network.
import { execFileSync } from 'node:child_process';
import { access, mkdtemp, realpath, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Brain, lastToolResults, text, toolUse } from '@codeframe/fake-anthropic';
import { seedBareRepo } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowedHost } from './egress-proxy.js';
import { seedNpmCache } from './package-cache.js';
import { DEFAULT_NPM_REGISTRY } from './sandbox-settings.js';
import {
  type Json,
  startTestWorker,
  type TestWorker,
  type WireEvent,
} from './test-worker.fixture.js';

let dir: string;
let sandboxed: TestWorker;
let unsandboxed: TestWorker;
let repos = 0;

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function git(args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8' }).trim();
}

function repo(files?: Record<string, string>): string {
  const at = join(dir, `repo-${repos++}`);
  execFileSync('mkdir', ['-p', at]);
  return `file://${seedBareRepo(at, files)}`;
}

const PASSING_TESTS = '{"scripts":{"test":"node -e 0"}}';

/** A brain that runs `commands` in its first turn, with a package.json whose tests pass,
 * then finishes. */
function planting(commands: string[]): Brain {
  return (req) =>
    req.messages.length === 1
      ? {
          content: [
            toolUse('write_file', { path: 'package.json', content: PASSING_TESTS }),
            ...commands.map((command) => toolUse('run_command', { command })),
          ],
        }
      : { content: [toolUse('finish', { summary: 'planted' })] };
}

const outcome = (events: WireEvent[]) => events.at(-1)?.result as Json | undefined;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'worker-sandbox-')));
  const allowedHosts = [parseAllowedHost(DEFAULT_NPM_REGISTRY)];
  sandboxed = await startTestWorker(join(dir, 'bwrap'), {
    brain: planting([]),
    sandbox: { allowedHosts },
    commandTimeoutMs: 60_000,
  });
  unsandboxed = await startTestWorker(join(dir, 'none'), {
    brain: planting([]),
    sandbox: { mode: 'none' },
  });
});

afterAll(async () => {
  await sandboxed?.close();
  await unsandboxed?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('git that a command cannot arm', () => {
  const hooks = [
    'pre-commit',
    'prepare-commit-msg',
    'commit-msg',
    'post-commit',
    'pre-push',
    'post-checkout',
    'reference-transaction',
    'post-index-change',
  ];
  // Each plant, were it to work, makes the worker's own git (add, commit, push, on the
  // host) touch the marker. `;` so every step is tried even when one is refused.
  const plants: [string, (marker: string) => string[], RegExp | null][] = [
    [
      '.git replaced by a new repository with core.fsmonitor',
      (m) => [`rm -rf .git; git init -q .; git config core.fsmonitor "touch ${m}; false"`],
      /\.git was replaced/,
    ],
    [
      'a .git with core.hooksPath and every hook',
      (m) => [
        `mkdir -p .hooks; for h in ${hooks.join(' ')}; do printf '#!/bin/sh\\ntouch ${m}\\n' > .hooks/$h; chmod +x .hooks/$h; done; git config core.hooksPath .hooks`,
      ],
      /git config was changed/,
    ],
    [
      "hooks in the repository's own hooks folder",
      (m) => [
        `d=$(git rev-parse --git-common-dir)/hooks; for h in ${hooks.join(' ')}; do printf '#!/bin/sh\\ntouch ${m}\\n' > $d/$h; chmod +x $d/$h; done`,
      ],
      // Nothing to refuse: the worker's git runs no hooks at all (hooksPath is pinned).
      null,
    ],
    [
      'a .gitattributes clean/smudge filter with its config',
      (m) => [
        `echo '* filter=evil' > .gitattributes; git config filter.evil.clean "touch ${m}; cat"; git config filter.evil.smudge "touch ${m}; cat"; git config filter.evil.required true`,
      ],
      /git config was changed/,
    ],
    [
      'a .git file re-pointed with gitdir:',
      (m) => [
        `git init -q ${m}-repo; git -C ${m}-repo config core.fsmonitor "touch ${m}; false"; echo "gitdir: ${m}-repo/.git" > .git`,
      ],
      /\.git was re-pointed/,
    ],
  ];

  it.each(plants)(
    'sandboxed, %s: the plant is refused and the task completes',
    async (_name, plant) => {
      const marker = join(dir, `marker-${Math.random().toString(36).slice(2)}`);
      sandboxed.brain = planting(plant(marker));
      const url = repo();
      const { events, error } = await sandboxed.execute({
        task: { id: 'plant', title: 'x' },
        repoUrl: url,
        baseRef: 'main',
      });
      expect(error).toBeUndefined();
      expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
      expect(await exists(marker)).toBe(false);
      expect(git(['--git-dir', url.slice(7), 'show', 'task/plant:package.json'])).toBe(
        PASSING_TESTS,
      );
    },
  );

  it.each(plants)(
    'unsandboxed, %s: runs nothing on the host, and a replaced .git fails the task',
    async (_name, plant, reason) => {
      const marker = join(dir, `marker-${Math.random().toString(36).slice(2)}`);
      unsandboxed.brain = planting(plant(marker));
      const url = repo();
      const { events } = await unsandboxed.execute({
        task: { id: 'plant', title: 'x' },
        repoUrl: url,
        baseRef: 'main',
      });
      expect(await exists(marker)).toBe(false);
      if (!reason) {
        expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
      } else {
        expect(outcome(events)).toMatchObject({
          outcome: 'TASK_OUTCOME_FAILED',
          error: expect.stringMatching(reason),
        });
        expect(() =>
          git(['--git-dir', url.slice(7), 'rev-parse', '--verify', '-q', 'task/plant']),
        ).toThrow();
      }
    },
  );
});

describe('what a command cannot see', () => {
  it("never shows the worker's keys or tokens to a command, a tool result or an event", async () => {
    const secrets = {
      ANTHROPIC_API_KEY: 'sk-ant-spec-secret-1',
      CODEFRAME_AUTH_TOKEN: 'spec-token-2',
    };
    const saved = Object.fromEntries(Object.keys(secrets).map((k) => [k, process.env[k]]));
    Object.assign(process.env, secrets);
    const homeSecret = join(homedir(), `.codeframe-worker-spec-${process.pid}`);
    execFileSync('sh', ['-c', `echo home-secret-3 > ${homeSecret}`]);
    try {
      sandboxed.brain = planting([
        'env; cat /proc/self/environ /proc/1/environ; ls /proc',
        `cat ${homeSecret}; cat ${join(dir, 'none', 'work')}/worktrees/*/package.json; ls ${dir}`,
      ]);
      const before = sandboxed.fake.requests.length;
      const { events } = await sandboxed.execute({
        task: { id: 'env', title: 'x' },
        repoUrl: repo(),
        baseRef: 'main',
      });
      expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
      const seen = JSON.stringify({ events, requests: sandboxed.fake.requests.slice(before) });
      expect(seen).toContain('HOME=/tmp');
      for (const secret of [...Object.values(secrets), 'home-secret-3'])
        expect(seen).not.toContain(secret);
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await rm(homeSecret, { force: true });
    }
  });
});

describe('limits', () => {
  it('stops a fork bomb, a 4 GiB allocation and a 10 GiB file, naming each, while another task completes', async (ctx) => {
    // As root without a writable cgroup a fork bomb has no hard cap (see sandbox-limits.spec).
    if (!sandboxed.sandbox.kernelLimits && process.getuid?.() === 0) {
      console.warn(
        'skipped: running as root without a writable cgroup, a fork bomb has no hard cap here',
      );
      ctx.skip();
    }
    sandboxed.brain = (req) => {
      const conversation = JSON.stringify(req.messages[0]);
      if (conversation.includes('quiet neighbour')) {
        return req.messages.length === 1
          ? {
              content: [
                toolUse('write_file', { path: 'package.json', content: PASSING_TESTS }),
                toolUse('run_command', { command: 'sleep 2; echo neighbour done' }),
              ],
            }
          : { content: [toolUse('finish', { summary: 'fine' })] };
      }
      if (req.messages.length === 1) {
        return {
          content: [
            toolUse('write_file', { path: 'package.json', content: PASSING_TESTS }),
            toolUse('run_command', { command: 'bomb() { bomb | bomb & }; bomb; sleep 5' }),
            toolUse('run_command', { command: `python3 -c "x = bytearray(b'x') * (4 << 30)"` }),
            toolUse('run_command', { command: 'head -c 10G /dev/zero > big.bin' }),
          ],
        };
      }
      const results = lastToolResults(req).map((r) => r.text.split('\n')[0]);
      return {
        content: [
          text(results.join('\n')),
          toolUse('run_command', { command: 'rm -f big.bin' }),
          toolUse('finish', { summary: 'contained' }),
        ],
      };
    };
    const url = repo();
    const [hog, neighbour] = await Promise.all([
      sandboxed.execute({ task: { id: 'hog', title: 'greedy' }, repoUrl: url, baseRef: 'main' }),
      new Promise((resolve) => setTimeout(resolve, 300)).then(() =>
        sandboxed.execute({
          task: { id: 'neighbour', title: 'quiet neighbour' },
          repoUrl: url,
          baseRef: 'main',
        }),
      ),
    ]);
    expect(outcome(neighbour.events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    expect(JSON.stringify(neighbour.events)).toContain('neighbour done');
    const said = hog.events.map((e) => String(e.activityUpdate?.message ?? '')).join('\n');
    expect(said).toContain(
      "it reached the sandbox's limit of 1024 processes (CODEFRAME_SANDBOX_MAX_PROCESSES)",
    );
    expect(said).toMatch(
      /used more than 2048 MiB of memory, the sandbox's limit \(CODEFRAME_SANDBOX_MEMORY_MB\)/,
    );
    expect(said).toContain(
      "it wrote a file of 1024 MiB, the sandbox's file-size limit (CODEFRAME_SANDBOX_FILE_MB)",
    );
    expect(outcome(hog.events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
  }, 120_000);
});

/** Whether this machine reaches the npm registry, with the reason when it does not. */
function registryReachable(): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(
      `${DEFAULT_NPM_REGISTRY}is-number`,
      { method: 'HEAD', timeout: 8_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? undefined : `it answered ${res.statusCode}`);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer in 8 s')));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

describe('dependencies', () => {
  it('installs a real package from the registry through the proxy, and reaches nothing else', async (ctx) => {
    const unreachable = await registryReachable();
    if (unreachable) {
      console.warn(
        `skipped: this test installs from ${DEFAULT_NPM_REGISTRY}, which this machine cannot reach (${unreachable})`,
      );
      ctx.skip();
    }
    const code =
      "import isNumber from 'is-number';\nexport const double = (x) => (isNumber(x) ? Number(x) * 2 : NaN);\n";
    const test =
      "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { double } from './index.js';\ntest('doubles numbers', () => { assert.equal(double('21'), 42); assert.ok(Number.isNaN(double('x'))); });\n";
    sandboxed.brain = (req) => {
      const turns = req.messages.filter((m) => m.role === 'assistant').length;
      if (turns === 0)
        return {
          content: [
            toolUse('write_file', {
              path: 'package.json',
              content:
                '{"name":"double","version":"1.0.0","type":"module","scripts":{"test":"node --test"}}',
            }),
            toolUse('run_command', { command: 'npm install is-number@7.0.0' }),
            toolUse('run_command', {
              command: `node -e "fetch('https://example.com').then(r => console.log('reached', r.status), e => { console.log('refused:', e.cause?.code ?? e.message); process.exit(1); })"`,
            }),
            toolUse('run_command', {
              command: `node -e "require('http').request({ host: '127.0.0.1', port: 3128, method: 'CONNECT', path: 'registry.npmjs.org:80' }).on('connect', (r) => { console.log('CONNECT :80', r.statusCode); process.exit(r.statusCode === 200 ? 0 : 1); }).end()"`,
            }),
          ],
        };
      if (turns === 1)
        return {
          content: [
            toolUse('write_file', { path: 'index.js', content: code }),
            toolUse('write_file', { path: 'index.test.js', content: test }),
          ],
        };
      return { content: [toolUse('finish', { summary: 'double() with is-number' })] };
    };
    const url = repo();
    const { events } = await sandboxed.execute({
      task: { id: 'dep', title: 'double' },
      repoUrl: url,
      baseRef: 'main',
    });
    const results = sandboxed.fake.requests.at(-2)?.body.messages.at(-1);
    const said = JSON.stringify(results);
    expect(said).toMatch(/added 1 package/);
    expect(said).toMatch(/exit code 1.*refused: (EAI_AGAIN|ENOTFOUND|ECONNREFUSED|UND_ERR)/);
    expect(said).toMatch(/CONNECT :80 403/);
    expect(outcome(events)).toMatchObject({
      outcome: 'TASK_OUTCOME_COMPLETED',
      tests: { passed: 1, failed: 0 },
    });
    const tree = git(['--git-dir', url.slice(7), 'ls-tree', '-r', '--name-only', 'task/dep']).split(
      '\n',
    );
    expect(tree).toEqual([
      'README.md',
      'index.js',
      'index.test.js',
      'package-lock.json',
      'package.json',
    ]);
    expect(git(['--git-dir', url.slice(7), 'show', 'task/dep:package.json'])).toMatch(
      /"is-number": ?"\^7\.0\.0"/,
    );
  }, 120_000);

  it('runs pnpm where none is installed, at the version package.json names', async (ctx) => {
    const unreachable = await registryReachable();
    if (unreachable) {
      console.warn(
        `skipped: pnpm comes from ${DEFAULT_NPM_REGISTRY}, which this machine cannot reach (${unreachable})`,
      );
      ctx.skip();
    }
    const project = join(dir, 'pnpm-project');
    execFileSync('mkdir', ['-p', project]);
    execFileSync('sh', [
      '-c',
      `echo '{"name":"p","version":"1.0.0","packageManager":"pnpm@9.15.0"}' > ${project}/package.json`,
    ]);
    const result = await sandboxed.sandbox.run({
      command: 'pnpm --version',
      workspace: { path: project },
      timeoutMs: 120_000,
      maxOutputBytes: 100_000,
    });
    expect(result.stdout.trim().split('\n').at(-1)).toBe('9.15.0');
  }, 150_000);

  it('installs locked dependencies before the model starts, from a seeded cache, with no network', async (ctx) => {
    const offline = await startTestWorker(join(dir, 'offline'), {
      brain: planting([]),
      sandbox: { allowedHosts: [] },
    });
    try {
      const hostCache = join(process.env.npm_config_cache || join(homedir(), '.npm'), '_cacache');
      const { seeded } = await seedNpmCache(
        hostCache,
        join(dir, 'offline', 'sandbox', 'cache', 'npm', '_cacache'),
        ['minimist'],
      );
      if (seeded.length === 0) {
        console.warn(
          `skipped: this machine's npm cache (${hostCache}) does not hold minimist, which \`npm ci\` of this repository puts there`,
        );
        ctx.skip();
      }
      const version = JSON.parse(
        execFileSync(
          'npm',
          [
            'view',
            '--offline',
            'minimist',
            'version',
            '--json',
            '--cache',
            join(dir, 'offline', 'sandbox', 'cache', 'npm'),
          ],
          { encoding: 'utf8' },
        ),
      );
      const lock = execFileSync(
        'sh',
        [
          '-c',
          `mkdir -p ${dir}/lock && cd ${dir}/lock && echo '{"name":"p","version":"1.0.0"}' > package.json && npm install --offline --cache ${join(dir, 'offline', 'sandbox', 'cache', 'npm')} minimist@${version} >/dev/null && cat package-lock.json`,
        ],
        { encoding: 'utf8' },
      );
      const pkg = {
        name: 'p',
        version: '1.0.0',
        type: 'module',
        scripts: { test: 'node --test' },
        dependencies: { minimist: `^${version}` },
      };
      const url = repo({
        'package.json': JSON.stringify(pkg),
        'package-lock.json': lock,
        'args.test.js':
          "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport minimist from 'minimist';\ntest('parses', () => assert.equal(minimist(['--n', '3']).n, 3));\n",
      });
      offline.brain = () => ({ content: [toolUse('finish', { summary: 'nothing to do' })] });
      const { events } = await offline.execute({
        task: { id: 'ci', title: 'x' },
        repoUrl: url,
        baseRef: 'main',
      });
      const said = events.map((e) => String(e.activityUpdate?.message ?? '')).join('\n');
      expect(said).toMatch(/installing the dependencies: npm ci/);
      expect(said).toMatch(/dependencies installed \(npm ci/);
      expect(outcome(events)).toMatchObject({
        outcome: 'TASK_OUTCOME_COMPLETED',
        tests: { passed: 1, failed: 0 },
      });
    } finally {
      await offline.close();
    }
  }, 120_000);
});

describe('Describe', () => {
  it('reports the toolchain found in the sandbox, the hosts it reaches and the sandbox', async () => {
    const res = await sandboxed.describe();
    expect(res).toMatchObject({ sandbox: 'bwrap', allowedHosts: ['registry.npmjs.org:443'] });
    const names = (res.toolchain as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['node', 'npm', 'git']));
    expect(await unsandboxed.describe()).toMatchObject({ sandbox: 'none', allowedHosts: ['*'] });
  });
});
