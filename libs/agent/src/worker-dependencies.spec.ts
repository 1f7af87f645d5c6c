// The worker as a real project needs it: dependencies from the registry through the proxy,
// package managers it does not have installed, locked dependencies from a seeded cache with
// no network, and a Describe that says what the sandbox has.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolUse } from '@codeframe/fake-anthropic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowedHost } from './egress-proxy.js';
import { hostNpmCache, seedNpmCache } from './package-cache.js';
import { DEFAULT_NPM_REGISTRY } from './sandbox-settings.js';
import {
  git,
  outcome,
  planting,
  repoMaker,
  startTestWorker,
  type TestWorker,
} from './test-worker.fixture.js';

let dir: string;
let sandboxed: TestWorker;
let repo: ReturnType<typeof repoMaker>;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'worker-dependencies-')));
  repo = repoMaker(dir);
  sandboxed = await startTestWorker(join(dir, 'bwrap'), {
    brain: planting([]),
    sandbox: { allowedHosts: [parseAllowedHost(DEFAULT_NPM_REGISTRY)] },
    commandTimeoutMs: 60_000,
  });
});

afterAll(async () => {
  await sandboxed?.close();
  await rm(dir, { recursive: true, force: true });
});

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
      const hostCache = hostNpmCache();
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
      // The lockfile is written from this repository's own entry for minimist, whose tarball
      // the seeded cache holds: npm asked for a version offline would need the registry's
      // metadata, which `npm ci` never caches.
      const ours = JSON.parse(
        readFileSync(new URL('../../../package-lock.json', import.meta.url), 'utf8'),
      ).packages['node_modules/minimist'] as { version: string; integrity: string };
      const version = ours.version;
      const lock = JSON.stringify({
        name: 'p',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: {
          '': { name: 'p', version: '1.0.0', dependencies: { minimist: `^${version}` } },
          'node_modules/minimist': {
            version,
            resolved: `https://registry.npmjs.org/minimist/-/minimist-${version}.tgz`,
            integrity: ours.integrity,
          },
        },
      });
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
    // npm's version is read from its package.json in the sandbox: the one npm says it is.
    const npm = (res.toolchain as { name: string; version: string }[]).find(
      (t) => t.name === 'npm',
    );
    expect(npm?.version).toBe(execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim());
  });
});
