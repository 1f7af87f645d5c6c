import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Brain,
  CONST_MODULE,
  lintCorrectingModuleBrain,
  toolUse,
  VAR_LINT,
  VAR_MODULE,
} from '@codeframe/fake-anthropic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  doing,
  git,
  type Json,
  repoMaker,
  runTask,
  startTestWorker,
  type TestWorker,
  type WireEvent,
} from './test-worker.fixture.js';

// After the tests pass, the project's own gates run in the sandbox (its lint script here)
// and the worker checks that the task added no skipped tests; a failing gate goes back to
// the model like a failing test.

const testFile = (body: string) =>
  `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n${body}\n`;
const PASSING = testFile("test('passes', () => assert.equal(1, 1));");
const MODULE = { 'package.json': '{ "type": "module" }\n' };

const gatesOf = (events: WireEvent[]) =>
  events.flatMap((e) => (e.qualityGate ? [e.qualityGate as Json] : []));

describe('quality gates after the tests pass', () => {
  let dir: string;
  let worker: TestWorker;
  let repo: ReturnType<typeof repoMaker>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-gates-'));
    worker = await startTestWorker(join(dir, 'w'), { brain: doing() });
    repo = repoMaker(dir);
  });
  afterAll(async () => {
    await worker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (brain: Brain, task: Json, files?: Record<string, string>) => {
    const ran = await runTask(worker, repo, brain, task, files);
    return { ...ran, gates: gatesOf(ran.events) };
  };

  it('feeds a failing lint back as a correction and completes once it passes', async () => {
    const { events, result, gates, sent, bare } = await run(lintCorrectingModuleBrain, {
      id: 'lint',
      title: 'Add add()',
    });
    expect(result).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED', correctionAttempts: 1 });
    const lint = gates.filter((g) => g.name === 'lint');
    expect(lint).toMatchObject([
      { taskId: 'lint', command: 'npm run lint', passed: false, attempt: 0 },
      { taskId: 'lint', command: 'npm run lint', passed: true, attempt: 1 },
    ]);
    expect(lint[0]!.summary).toMatch(/exit code 1.*math\.js:2: uses var/s);
    const correction = events.find((e) => e.correctionAttempt)?.correctionAttempt as Json;
    expect(correction.failure).toMatch(/lint \(`npm run lint`\) failed/);
    expect(correction.failure).toMatch(/math\.js:2: uses var; declare it with const or let/);
    expect(sent[1]).toMatch(/The tests pass, but the project's own checks fail/);
    expect(sent[1]).toMatch(/math\.js:2: uses var/);
    const path = bare.slice('file://'.length);
    expect(git(['--git-dir', path, 'show', 'task/lint:math.js'])).toBe(CONST_MODULE.trim());
  });

  it('fails a task whose lint keeps failing, naming the gate', async () => {
    const { result, gates } = await run(
      doing(
        toolUse('write_file', {
          path: 'package.json',
          content: JSON.stringify({ type: 'module', scripts: { lint: 'node lint.js' } }),
        }),
        toolUse('write_file', { path: 'lint.js', content: VAR_LINT }),
        toolUse('write_file', { path: 'math.js', content: VAR_MODULE }),
        toolUse('write_file', { path: 'math.test.js', content: PASSING }),
      ),
      { id: 'lint-stuck', title: 'Add add()' },
    );
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'the lint gate fails (npm run lint) after 3 correction attempts',
    });
    expect(gates.filter((g) => g.name === 'lint').map((g) => g.passed)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('does not pass a task that marks a test as skipped', async () => {
    const skipped = testFile(
      "test('passes', () => assert.equal(1, 1));\ntest.skip('was failing', () => assert.equal(1, 2));",
    );
    const { result, gates, sent } = await run(
      doing(toolUse('write_file', { path: 'math.test.js', content: skipped })),
      { id: 'skip', title: 'Make the tests pass' },
      { ...MODULE, 'math.test.js': testFile("test('was failing', () => assert.equal(1, 2));") },
    );
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: expect.stringMatching(/^the skipped-tests gate fails/),
    });
    expect(gates.at(-1)).toMatchObject({ name: 'skipped-tests', passed: false });
    expect(gates.at(-1)!.summary).toMatch(/math\.test\.js:4: test\.skip\('was failing'/);
    expect(sent[1]).toMatch(/Skipping or disabling a test does not make a task pass/);
  });

  it('does not pass a skip the runner counts in a file not named as a test', async () => {
    const checks = testFile(
      "test('passes', () => {});\ntest('later', { skip: 'flaky' }, () => {});",
    );
    const { result, gates } = await run(
      doing(
        toolUse('write_file', {
          path: 'package.json',
          content: JSON.stringify({
            type: 'module',
            scripts: { test: 'node --test checks/math.mjs' },
          }),
        }),
        toolUse('write_file', { path: 'checks/math.mjs', content: checks }),
      ),
      { id: 'skip-count', title: 'Add checks' },
    );
    expect(result).toMatchObject({ outcome: 'TASK_OUTCOME_FAILED' });
    expect(gates.at(-1)).toMatchObject({ name: 'skipped-tests', passed: false });
    expect(gates.at(-1)!.summary).toMatch(/1 skipped test.*the base had 0/);
  });

  it('runs no project gate where the project defines none, and keeps a skip the base had', async () => {
    const base = {
      ...MODULE,
      'old.test.js': testFile("test('ok', () => {});\ntest.skip('on hold', () => {});"),
    };
    const { events, result, gates } = await run(
      doing(toolUse('write_file', { path: 'more.test.js', content: PASSING })),
      { id: 'plain', title: 'Add a feature' },
      base,
    );
    expect(result).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED', correctionAttempts: 0 });
    expect(gates).toMatchObject([{ name: 'skipped-tests', passed: true, attempt: 0 }]);
    const commands = events.flatMap((e) =>
      e.commandOutput ? [(e.commandOutput as Json).command] : [],
    );
    expect(new Set(commands)).toEqual(new Set(['node --test']));
  });
});
