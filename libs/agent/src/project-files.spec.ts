import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dependencyInstallCommand, detectTestCommand, packageManager } from './project-files.js';
import { Sandbox } from './sandbox.js';
import { sandboxSettingsIn } from './sandbox-settings.js';
import { runTests } from './test-runner.js';

let dir: string;
let n = 0;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'project-files-')));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A checkout holding `files` (path → content). */
async function checkout(files: Record<string, string>): Promise<string> {
  const root = join(dir, `p${n++}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  await mkdir(root, { recursive: true });
  return root;
}

const withTests = JSON.stringify({ scripts: { test: 'vitest run' } });
const withDeps = JSON.stringify({ dependencies: { minimist: '^1.2.8' } });

describe('detectTestCommand', () => {
  it.each([
    ['an npm test script, as itself', { 'package.json': withTests }, 'vitest run'],
    [
      'an npm test script with a pretest hook',
      { 'package.json': JSON.stringify({ scripts: { pretest: 'tsc', test: 'vitest run' } }) },
      'npm test --silent',
    ],
    [
      "an npm test script that reads npm's variables",
      { 'package.json': JSON.stringify({ scripts: { test: 'node t.js $npm_package_name' } }) },
      'npm test --silent',
    ],
    ['a pnpm project', { 'package.json': withTests, 'pnpm-lock.yaml': '' }, 'pnpm test'],
    ['a yarn project', { 'package.json': withTests, 'yarn.lock': '' }, 'yarn test'],
    [
      "npm init's placeholder script",
      { 'package.json': '{"scripts":{"test":"echo \\"Error: no test specified\\" && exit 1"}}' },
      'node --test',
    ],
    ['a Python project', { 'pyproject.toml': '', 'tests/test_x.py': '' }, 'python3 -m pytest'],
    [
      'a Python project with its virtualenv',
      { 'test_x.py': '', '.venv/bin/python': '' },
      '.venv/bin/python -m pytest',
    ],
    ['a Go module', { 'go.mod': 'module x\n' }, 'go test -v ./...'],
    ['a Rust crate', { 'Cargo.toml': '[package]\n' }, 'cargo test'],
    ['anything else', { 'index.js': '' }, 'node --test'],
  ])('runs %s with the right runner', async (_what, files, command) => {
    expect(await detectTestCommand(await checkout(files))).toBe(command);
  });
});

describe('a package.json the model made hostile', () => {
  it('is not read when it is a FIFO, a symlink out of the worktree, or huge', async () => {
    const fifo = await checkout({ 'index.js': '' });
    execFileSync('mkfifo', [join(fifo, 'package.json')]);
    const link = await checkout({ 'index.js': '' });
    await writeFile(join(dir, 'outside.json'), withTests);
    execFileSync('ln', ['-s', join(dir, 'outside.json'), join(link, 'package.json')]);
    const huge = await checkout({
      'package.json': `{"scripts":{"test":"x"},"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`,
    });
    for (const root of [fifo, link, huge]) {
      expect(await detectTestCommand(root)).toBe('node --test');
      expect(await dependencyInstallCommand(root)).toBeUndefined();
    }
  });
});

describe('dependencyInstallCommand', () => {
  it.each([
    ['a package-lock.json', { 'package.json': withDeps, 'package-lock.json': '{}' }, 'npm ci'],
    [
      'a pnpm-lock.yaml',
      { 'package.json': withDeps, 'pnpm-lock.yaml': '' },
      'pnpm install --frozen-lockfile',
    ],
    [
      'a yarn.lock',
      { 'package.json': withDeps, 'yarn.lock': '' },
      'yarn install --frozen-lockfile',
    ],
    ['dependencies but no lockfile', { 'package.json': withDeps }, undefined],
    [
      'a lockfile and no dependencies',
      { 'package.json': '{}', 'package-lock.json': '{}' },
      undefined,
    ],
    [
      'node_modules already there',
      { 'package.json': withDeps, 'package-lock.json': '{}', 'node_modules/x/index.js': '' },
      undefined,
    ],
  ])('installs from %s', async (_what, files, command) => {
    expect(await dependencyInstallCommand(await checkout(files))).toBe(command);
  });

  it('names the package manager from the lockfile, else packageManager, else npm', async () => {
    expect(
      await packageManager(await checkout({ 'package.json': '{"packageManager":"pnpm@9.1.0"}' })),
    ).toBe('pnpm');
    expect(await packageManager(await checkout({ 'yarn.lock': '' }))).toBe('yarn');
    expect(await packageManager(await checkout({ 'package.json': '{}' }))).toBe('npm');
  });
});

describe('pytest in the sandbox', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await Sandbox.create(sandboxSettingsIn(join(dir, 'sandbox')));
  });
  afterAll(() => sandbox?.close());

  const pytest = (() => {
    try {
      execFileSync('/usr/bin/python3', ['-m', 'pytest', '--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!pytest)(
    "runs a Python project's tests with the virtualenv inside its worktree, counting them",
    async () => {
      const root = await checkout({
        'pyproject.toml': '[project]\nname = "calc"\nversion = "0.1.0"\n',
        'calc.py': 'def div(a, b):\n    return a / b\n',
        'tests/test_calc.py':
          'import pytest\nfrom calc import div\n\ndef test_div():\n    assert div(6, 3) == 2\n\ndef test_zero():\n    assert div(1, 0) == 0\n\n@pytest.mark.skip\ndef test_later():\n    pass\n',
        'conftest.py': '',
      });
      // The venv sees the system's pytest (Debian's python3-pytest), as a model's venv would
      // after `pip install pytest`.
      const venv = await sandbox.run({
        command: 'python3 -m venv --system-site-packages --without-pip .venv',
        workspace: { path: root },
        timeoutMs: 60_000,
        maxOutputBytes: 10_000,
      });
      expect(venv.exitCode).toBe(0);
      const command = await detectTestCommand(root);
      expect(command).toBe('.venv/bin/python -m pytest');
      const run = await runTests({
        workspace: { path: root } as never,
        command,
        sandbox,
        timeoutMs: 60_000,
      });
      expect(run.passed).toBe(false);
      expect(run.summary).toMatchObject({ framework: 'pytest', passed: 1, failed: 1, skipped: 1 });
    },
  );
});
