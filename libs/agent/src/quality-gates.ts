import type { Task, TaskEvent } from '@codeframe/proto';
import { inSpan } from '@codeframe/runtime';
import { commandStatus } from './command-status.js';
import type { EventChannel } from './event-channel.js';
import { type Workspace, WorkspaceError } from './git-workspace.js';
import { type ProjectGate, projectGates } from './project-gates.js';
import type { Sandbox } from './sandbox.js';
import { checkSkippedTests } from './skipped-tests.js';
import type { TaskEventFactory } from './task-events.js';
import type { TestBaseline } from './test-baseline.js';
import type { TestRun } from './test-runner.js';
import type { Tool } from './toolchain.js';

// What runs after a task's tests pass and before its work is committed: the worker's check
// that no test was skipped, then each gate the project defines (project-gates.ts), in the
// sandbox like the tests. Each is a quality_gate event; when any fails, the verdict carries
// their output for the model, as a failing test run does, within the same attempts.

export interface QualityGateOptions {
  workspace: Workspace;
  sandbox: Sandbox;
  /** What the sandbox has (tsc, ruff, mypy when installed). */
  toolchain: readonly Tool[];
  task: Pick<Task, 'title' | 'description' | 'acceptanceCriteria'>;
  /** The commit of main the task's work is compared with. */
  baseSha: string;
  limits: { testTimeoutMs: number; maxOutputBytes: number };
  signal: AbortSignal;
  events: TaskEventFactory;
  channel: EventChannel<TaskEvent>;
}

export type GateVerdict =
  | { ok: true }
  | {
      ok: false;
      /** For the task's error: "the lint gate fails (npm run lint)". */
      reason: string;
      /** What the model reads first, with what to do. */
      feedback: string;
      /** Each failing gate's output, for the model and the correction event. */
      output: string;
      /** No correction can mend it (the worktree's git was tampered with): the task ends. */
      final?: boolean;
    };

/** The name of the worker's own gate. */
export const SKIPPED_TESTS = 'skipped-tests';
/** How much of a gate's output its event's summary keeps (the tail). */
const SUMMARY_CHARS = 600;
/** How much of the failing gates' output the model gets, all together. */
const OUTPUT_CHARS = 8_000;

interface GateRun {
  name: string;
  command: string;
  passed: boolean;
  summary: string;
  /** How it ended ("exit code 1") and its output, for the model when it failed. */
  status: string;
  output: string;
  /** Why the work cannot be checked, nor committed. */
  broken?: string;
}

export class QualityGates {
  private constructor(
    private readonly o: QualityGateOptions,
    /** The gates the checkout defined before the model changed it: they run even if removed. */
    private readonly before: ProjectGate[],
  ) {}

  /** Notes the gates the checkout defines now, before the model starts. */
  static async prepare(options: QualityGateOptions): Promise<QualityGates> {
    return new QualityGates(options, await projectGates(options.workspace.path, options.toolchain));
  }

  /** Runs every gate on the work as it is, `attempt` being the correction round; `baseline`
   * is what the base's tests counted, if they were measured. */
  async *check(
    run: TestRun,
    attempt: number,
    baseline: TestBaseline | undefined,
  ): AsyncGenerator<TaskEvent, GateVerdict> {
    const { events, channel } = this.o;
    const runs: GateRun[] = [];
    const skip = yield* channel.until(this.#skippedTests(run, baseline));
    runs.push(skip);
    yield events.gate({ ...skip, attempt });
    if (skip.broken)
      return { ok: false, reason: skip.broken, feedback: '', output: '', final: true };
    for (const gate of await this.#gates()) {
      if (this.o.signal.aborted) break;
      yield events.activity(`running the ${gate.name} gate: ${gate.command}`, 'run_command');
      // A span per gate, in the task's trace; its sandbox commands are under it.
      const gated = inSpan(
        'quality gate',
        { attributes: { 'codeframe.gate': gate.name } },
        async (span) => {
          const result = await this.#run(gate);
          span.setAttribute('codeframe.gate.passed', result.passed);
          return result;
        },
      );
      const result = yield* channel.until(gated);
      runs.push(result);
      yield events.gate({ ...result, attempt });
    }
    const failing = runs.filter((r) => !r.passed);
    if (failing.length === 0) return { ok: true };
    const each = Math.floor(OUTPUT_CHARS / failing.length);
    const output = failing
      .map((r) => {
        const how = r.status ? `: ${r.status}` : '';
        return `## ${r.name} (\`${r.command}\`) failed${how}\n${tail(r.output, each)}`;
      })
      .join('\n\n');
    const reason = failing
      .map((r) => `the ${r.name} gate fails (${r === skip ? firstLine(r.summary) : r.command})`)
      .join('; ');
    const feedback = [
      failing.some((r) => r !== skip)
        ? `The tests pass, but the project's own checks fail: ${failing
            .filter((r) => r !== skip)
            .map((r) => `\`${r.command}\``)
            .join(
              ', ',
            )}. Fix what they report in the code (do not weaken, disable or remove the checks), then call finish again.`
        : '',
      failing.includes(skip)
        ? 'Skipping or disabling a test does not make a task pass, and the task does not ask for tests to be skipped. Make the skipped tests run and pass instead, then call finish again.'
        : '',
    ]
      .filter(Boolean)
      .join(' ');
    return { ok: false, reason, feedback, output };
  }

  /** The gates the checkout defines now, and those it defined before the task removed them. */
  async #gates(): Promise<ProjectGate[]> {
    const now = await projectGates(this.o.workspace.path, this.o.toolchain);
    const missing = this.before.filter((b) => !now.some((g) => g.name === b.name));
    return [...now, ...missing];
  }

  async #skippedTests(run: TestRun, baseline: TestBaseline | undefined): Promise<GateRun> {
    const { workspace, baseSha, task, signal } = this.o;
    try {
      const check = await checkSkippedTests({
        workspace,
        baseSha,
        task,
        skipped: run.summary.skipped,
        baseSkipped: baseline?.skipped ?? 0,
        signal,
      });
      return { name: SKIPPED_TESTS, ...check, status: '', output: check.summary };
    } catch (err) {
      const summary = `could not compare the work with its base: ${String(err)}`;
      const failed = { command: 'git diff', passed: false, summary, status: '', output: summary };
      const broken = err instanceof WorkspaceError ? err.message : undefined;
      return { name: SKIPPED_TESTS, ...failed, broken };
    }
  }

  async #run(gate: ProjectGate): Promise<GateRun> {
    const { sandbox, workspace, limits, signal, events, channel } = this.o;
    const result = await sandbox.run({
      command: gate.command,
      workspace,
      timeoutMs: limits.testTimeoutMs,
      maxOutputBytes: limits.maxOutputBytes,
      signal,
      env: { NO_COLOR: '1' },
      onOutput: (stream, chunk) => channel.push(events.output(gate.command, stream, chunk)),
    });
    const status = commandStatus(result, limits.testTimeoutMs);
    const output = `${result.stdout}\n${result.stderr}`.trim();
    const passed = result.exitCode === 0 && !result.timedOut && !result.limit;
    const summary = output ? `${status}\n${tail(output, SUMMARY_CHARS)}` : status;
    return { ...gate, passed, summary, status, output };
  }
}

function tail(text: string, chars: number): string {
  return text.length > chars ? `…${text.slice(-chars)}` : text;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}
