import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { type TestSummary, TestSummarySchema } from '@codeframe/proto';
import { type CommandResult, runCommand } from './sandbox.js';
import { parseTestOutput } from './test-output.js';

export interface TestRun {
  passed: boolean;
  summary: TestSummary;
  /** Output to show the model when the run failed, capped. */
  output: string;
}

const OUTPUT_TAIL = 8_000;

/** The command that runs a repository's tests: its npm test script, else node --test. */
export async function detectTestCommand(worktree: string): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(join(worktree, 'package.json'), 'utf8'));
    if (typeof pkg?.scripts?.test === 'string') return 'npm test --silent';
  } catch {
    // no package.json, or not JSON: fall back to node's own runner
  }
  return 'node --test';
}

export interface TestRunOptions {
  worktree: string;
  command: string;
  sandbox: 'bwrap' | 'none';
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
}

/** Runs the tests in the sandbox and reads the counts from the runner's output. */
export async function runTests(options: TestRunOptions): Promise<TestRun> {
  const result: CommandResult = await runCommand({
    command: options.command,
    cwd: options.worktree,
    mode: options.sandbox,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: 1_000_000,
    signal: options.signal,
    env: { CI: 'true', NO_COLOR: '1', npm_config_cache: '/tmp/npm-cache' },
    onOutput: options.onOutput,
  });
  const output = `${result.stdout}\n${result.stderr}`.trim();
  const counts = parseTestOutput(output);
  const passed = result.exitCode === 0 && !result.timedOut && counts.failed === 0;
  const tail = output.length > OUTPUT_TAIL ? `…${output.slice(-OUTPUT_TAIL)}` : output;
  const summary = create(TestSummarySchema, {
    passed: counts.passed,
    failed: counts.failed,
    skipped: counts.skipped,
    durationMs: BigInt(Math.round(counts.durationMs || result.durationMs)),
    framework: counts.framework,
    command: options.command,
    exitCode: result.exitCode ?? -1,
    output: tail,
  });
  const reason = result.timedOut ? `\n(the tests timed out after ${options.timeoutMs} ms)` : '';
  return { passed, summary, output: `${tail}${reason}` };
}
