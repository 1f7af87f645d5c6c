import { create } from '@bufbuild/protobuf';
import { type TestSummary, TestSummarySchema } from '@codeframe/proto';
import type { Workspace } from './git-workspace.js';
import type { CommandResult, Sandbox } from './sandbox.js';
import { parseTestOutput } from './test-output.js';

export interface TestRun {
  passed: boolean;
  summary: TestSummary;
  /** Output to show the model when the run failed, capped. */
  output: string;
}

const OUTPUT_TAIL = 8_000;

export interface TestRunOptions {
  workspace: Workspace;
  command: string;
  sandbox: Sandbox;
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void;
}

/** Runs the tests in the sandbox and reads the counts from the runner's output. */
export async function runTests(options: TestRunOptions): Promise<TestRun> {
  const result: CommandResult = await options.sandbox.run({
    command: options.command,
    workspace: options.workspace,
    timeoutMs: options.timeoutMs,
    maxOutputBytes: 1_000_000,
    signal: options.signal,
    env: { NO_COLOR: '1' },
    onOutput: options.onOutput,
  });
  const output = `${result.stdout}\n${result.stderr}`.trim();
  const counts = parseTestOutput(output);
  const passed = result.exitCode === 0 && !result.timedOut && !result.limit && counts.failed === 0;
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
  const reason = result.limit
    ? `\n(${result.limit})`
    : result.timedOut
      ? `\n(the tests timed out after ${options.timeoutMs} ms)`
      : '';
  return { passed, summary, output: `${tail}${reason}` };
}
