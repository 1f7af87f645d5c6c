import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { TaskKind, TaskSchema, TestSummarySchema } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { hasTests } from './test-baseline.js';
import type { TestRun } from './test-runner.js';
import { asksToRemoveTests, testVerdict } from './test-verdict.js';

const run = (passed: number, failed = 0, green = failed === 0): TestRun => ({
  passed: green,
  summary: create(TestSummarySchema, { passed, failed, command: 'npm test --silent' }),
  output: '',
});
const task = (fields: Partial<{ title: string; description: string; kind: TaskKind }> = {}) =>
  create(TaskSchema, { title: 'Add add()', ...fields });
const base = (passed: number, failed = 0) => ({
  passed,
  failed,
  skipped: 0,
  command: 'npm test --silent',
});
const verdict = (r: TestRun, b = base(0), t = task(), kind = TaskKind.BACKEND) =>
  testVerdict({ run: r, baseline: b, task: t, kind });

describe('testVerdict', () => {
  it('passes a green run with tests, as many as the base had or more', () => {
    expect(verdict(run(3), base(3))).toEqual({ ok: true });
    expect(verdict(run(1), undefined)).toEqual({ ok: true });
  });

  it('fails a red run with the words the correction loop always used', () => {
    expect(verdict(run(2, 1))).toMatchObject({ ok: false, reason: 'the tests still fail' });
    expect(verdict(run(0, 0, false))).toMatchObject({ feedback: /^The tests failed\./ });
  });

  it('fails a green run of no tests, naming the command', () => {
    expect(verdict(run(0), undefined)).toMatchObject({
      ok: false,
      reason: 'no test ran',
      feedback: expect.stringMatching(/`npm test --silent` exited 0 but reported no passing test/),
    });
  });

  it("compares with the base's total, so deleting a failing test does not pass", () => {
    expect(verdict(run(2), base(2, 1))).toMatchObject({
      ok: false,
      reason: 'fewer tests pass (2) than the base had (3)',
    });
    expect(verdict(run(2), base(2, 1), task({ description: 'Delete the flaky tests.' }))).toEqual({
      ok: true,
    });
  });

  it('passes a test task only when more tests pass than the base had', () => {
    const tester = (r: TestRun, kind = TaskKind.UNSPECIFIED) =>
      verdict(r, base(2), task({ kind }), TaskKind.TEST);
    expect(tester(run(2))).toMatchObject({
      ok: false,
      reason: 'no new test ran (2 pass, the base had 2)',
    });
    expect(tester(run(3))).toEqual({ ok: true });
    // The task's own kind wins over the worker's.
    expect(tester(run(2), TaskKind.BACKEND)).toEqual({ ok: true });
  });

  it('reads a request for removal from the title, description or criteria', () => {
    expect(asksToRemoveTests(task({ title: 'Remove the legacy tests' }))).toBe(true);
    expect(asksToRemoveTests(task({ description: 'The old tests are to be dropped.' }))).toBe(true);
    expect(
      asksToRemoveTests(
        create(TaskSchema, { title: 'x', acceptanceCriteria: ['delete test/old.spec.js'] }),
      ),
    ).toBe(true);
    expect(asksToRemoveTests(task({ description: 'Remove the bug. Add tests.' }))).toBe(false);
  });
});

describe('hasTests', () => {
  it('finds test files by name, and a Rust crate, but not in node_modules', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'has-tests-'));
    try {
      const at = async (path: string) => {
        const sub = await mkdtemp(join(dir, 'w-'));
        await mkdir(join(sub, path, '..'), { recursive: true });
        await writeFile(join(sub, path), '');
        return hasTests(sub);
      };
      for (const path of [
        'math.test.js',
        'src/a.spec.ts',
        'tests/api.js',
        'test_x.py',
        'x_test.go',
        'Cargo.toml',
      ])
        expect(await at(path), path).toBe(true);
      for (const path of ['README.md', 'src/testing.js', 'node_modules/x/a.test.js', 'latest.js'])
        expect(await at(path), path).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
