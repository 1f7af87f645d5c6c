import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTestOutput } from './test-output.js';

const run = promisify(execFile);

// Two passing, one failing, one skipped and one todo test, run by the real node --test.
const NODE_TESTS = `import { describe, test } from 'node:test';
import assert from 'node:assert';
describe('math', () => {
  test('adds', () => assert.strictEqual(1 + 1, 2));
  test('fails', () => assert.strictEqual(1 + 1, 3));
  test('skipped', { skip: true }, () => {});
  test('todo', { todo: true }, () => {});
});
test('top level', () => {});
`;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'test-output-'));
  await writeFile(join(dir, 'math.test.mjs'), NODE_TESTS);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

/** The output of node --test with `reporter`; it exits 1 when a test fails, which is expected. */
async function nodeTest(reporter: string, file: string, env: Record<string, string> = {}) {
  const options = { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env } };
  const args = ['--test', `--test-reporter=${reporter}`, file];
  const { stdout, stderr } = await run(process.execPath, args, options).catch(
    (err: { stdout: string; stderr: string }) => err,
  );
  return `${stdout}\n${stderr}`;
}

describe('parseTestOutput', () => {
  it.each(['spec', 'tap'])('reads node --test with the %s reporter', async (reporter) => {
    const output = await nodeTest(reporter, 'math.test.mjs');
    expect(output).toMatch(reporter === 'spec' ? /^ℹ fail 1$/m : /^# fail 1$/m);
    const counts = parseTestOutput(output);
    expect(counts).toMatchObject({ framework: 'node:test', passed: 2, failed: 1, skipped: 2 });
    expect(counts.durationMs).toBeGreaterThan(0);
  });

  it('reads node --test in colour, as it prints to a terminal', async () => {
    const output = await nodeTest('spec', 'math.test.mjs', { FORCE_COLOR: '1' });
    expect(output).toContain('\u001b[');
    expect(parseTestOutput(output)).toMatchObject({ passed: 2, failed: 1, skipped: 2 });
    // The summary as node 20 colours it on a terminal (captured through `script`).
    const tty = ['tests 5', 'pass 2', 'fail 1', 'skipped 1', 'duration_ms 174.352083']
      .map((line) => `\u001b[34mℹ ${line}\u001b[39m\r\n`)
      .join('');
    expect(parseTestOutput(tty)).toEqual({
      framework: 'node:test',
      passed: 2,
      failed: 1,
      skipped: 1,
      durationMs: 174.352083,
    });
  });

  it('reads vitest, colour codes and all', () => {
    const output = [
      ' ❯ src/math.spec.ts (4 tests | 1 failed | 1 skipped) 9ms',
      '',
      '\u001b[2m Test Files \u001b[22m \u001b[1m\u001b[31m1 failed\u001b[39m\u001b[22m\u001b[90m (1)\u001b[39m',
      '\u001b[2m      Tests \u001b[22m \u001b[1m\u001b[31m2 failed\u001b[39m\u001b[22m\u001b[2m | \u001b[22m\u001b[1m\u001b[32m5 passed\u001b[39m\u001b[22m\u001b[2m | \u001b[22m\u001b[33m1 skipped\u001b[39m\u001b[90m (8)\u001b[39m',
      '\u001b[2m   Start at \u001b[22m 22:59:15',
      '\u001b[2m   Duration \u001b[22m 1.23s\u001b[2m (transform 24ms, setup 0ms, import 37ms, tests 9ms, environment 0ms)\u001b[22m',
    ].join('\n');
    expect(parseTestOutput(output)).toEqual({
      framework: 'vitest',
      passed: 5,
      failed: 2,
      skipped: 1,
      durationMs: 1230,
    });
  });

  it('reads vitest without colour, with todo tests and a duration in ms', () => {
    const output = [
      ' Test Files  3 passed (3)',
      '      Tests  7 passed | 1 todo (8)',
      '   Start at  10:12:01',
      '   Duration  382ms (transform 24ms, setup 0ms, import 37ms, tests 9ms, environment 0ms)',
    ].join('\n');
    expect(parseTestOutput(output)).toEqual({
      framework: 'vitest',
      passed: 7,
      failed: 0,
      skipped: 1,
      durationMs: 382,
    });
  });

  it('reads pytest', () => {
    const output = [
      '============================= test session starts ==============================',
      'platform linux -- Python 3.11.2, pytest-7.2.1, pluggy-1.0.0',
      'collected 8 items',
      '',
      'tests/test_math.py ..F.s.F.                                              [100%]',
      '=========================== short test summary info ============================',
      'FAILED tests/test_math.py::test_div - ZeroDivisionError: division by zero',
      '==================== 2 failed, 5 passed, 1 skipped in 0.12s ====================',
    ].join('\n');
    expect(parseTestOutput(output)).toEqual({
      framework: 'pytest',
      passed: 5,
      failed: 2,
      skipped: 1,
      durationMs: 120,
    });
  });

  it('reads pytest -q, counting errors as failures', () => {
    const counts = parseTestOutput('...E.\n4 passed, 1 warning, 1 error in 1.50s\n');
    expect(counts).toEqual({
      framework: 'pytest',
      passed: 4,
      failed: 1,
      skipped: 0,
      durationMs: 1500,
    });
  });

  it('reads jest', () => {
    const output = [
      'FAIL src/math.test.js',
      'Test Suites: 1 failed, 2 passed, 3 total',
      'Tests:       1 failed, 1 skipped, 1 todo, 6 passed, 9 total',
      'Snapshots:   0 total',
      'Time:        1.234 s',
    ].join('\n');
    expect(parseTestOutput(output)).toEqual({
      framework: 'jest',
      passed: 6,
      failed: 1,
      skipped: 2,
      durationMs: 1234,
    });
  });

  it('reads go test -v, subtests included', () => {
    const output = [
      '=== RUN   TestAdd',
      '--- PASS: TestAdd (0.00s)',
      '=== RUN   TestDiv',
      '    --- PASS: TestDiv/by_one (0.00s)',
      '    --- FAIL: TestDiv/by_zero (0.00s)',
      '--- FAIL: TestDiv (0.00s)',
      '--- SKIP: TestSlow (0.00s)',
      'FAIL',
      'FAIL\texample.com/calc\t0.012s',
      'ok  \texample.com/calc/util\t0.003s',
    ].join('\n');
    expect(parseTestOutput(output)).toEqual({
      framework: 'go',
      passed: 2,
      failed: 2,
      skipped: 1,
      durationMs: 15,
    });
  });

  it('reads cargo test, unit and doc tests together', () => {
    const output = [
      'running 3 tests',
      'test tests::adds ... ok',
      'test tests::divides ... FAILED',
      'test tests::slow ... ignored',
      'test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s',
      '   Doc-tests calc',
      'test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.20s',
    ].join('\n');
    expect(parseTestOutput(output)).toEqual({
      framework: 'cargo',
      passed: 3,
      failed: 1,
      skipped: 1,
      durationMs: 210,
    });
  });

  it('reads a megabyte of blank lines, the most a test run keeps, without stalling', () => {
    // Each parser once crossed lines with \s*: this took minutes, here it takes moments.
    // Every parser reads it before the last one (go) finds its line.
    const output = `${'\n'.repeat(1_000_000)}--- PASS: TestAdd (0.00s)\n`;
    expect(parseTestOutput(output)).toMatchObject({ framework: 'go', passed: 1 });
    expect(parseTestOutput(`ok${'\n \t'.repeat(300_000)}`).framework).toBe('unknown');
  });

  it('reads mocha', () => {
    const output = `
  add
    ✔ adds
    1) subtracts
    - later

  1 passing (8ms)
  1 pending
  1 failing

  1) add
       subtracts:
     AssertionError: expected 1 to equal 2
`;
    expect(parseTestOutput(output)).toEqual({
      framework: 'mocha',
      passed: 1,
      failed: 1,
      skipped: 1,
      durationMs: 8,
    });
  });

  it('says unknown when no summary it knows is there', () => {
    expect(parseTestOutput('make: *** [test] Error 1\n')).toEqual({
      framework: 'unknown',
      passed: 0,
      failed: 0,
      skipped: 0,
      durationMs: 0,
    });
  });
});
