import type { TaskEvent } from '@codeframe/proto';
import type { Workspace } from './git-workspace.js';
import { PathEscapeError } from './path-guard.js';
import type { Sandbox } from './sandbox.js';
import { SavedOutputs } from './saved-outputs.js';
import type { TaskEventFactory } from './task-events.js';
import { runTests, type TestRun } from './test-runner.js';
import { capToolResult, DEFAULT_TOOL_RESULT_CHARS } from './tool-result-cap.js';
import { TOOLS, type ToolContext, type ToolOutcome } from './tools/index.js';
import { BadInput } from './tools/tool-input.js';
import { FileToolError, fileError } from './worktree-files.js';

export type { ToolOutcome };

export interface ToolRunnerOptions {
  workspace: Workspace;
  sandbox: Sandbox;
  /** The command that runs the tests, found afresh each run (the model may add a manifest). */
  testCommand: () => Promise<string>;
  commandTimeoutMs: number;
  testTimeoutMs: number;
  maxOutputBytes: number;
  events: TaskEventFactory;
  emit: (event: TaskEvent) => void;
  signal: AbortSignal;
  /** Characters of one result the model gets; longer ones keep their head and tail. */
  maxResultChars?: number;
}

/**
 * Runs the model's tool calls inside the worktree, each by its module in the tools table
 * (tools/index.ts). Every call comes back as a result: a bad call (unknown tool, wrong
 * input, a path outside the worktree or to a FIFO, a file system error, a failing command)
 * becomes an error result for the model, never an exception that breaks the task's stream.
 */
export class ToolRunner {
  readonly #aborted: Promise<ToolOutcome>;

  readonly #context: ToolContext;

  constructor(private readonly options: ToolRunnerOptions) {
    const { signal } = options;
    this.#aborted = new Promise((resolve) => {
      const stop = () => resolve({ content: 'the task was stopped', isError: true });
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
    this.#context = {
      ...options,
      saved: new SavedOutputs(),
      runTests: () => this.runTests(),
    };
  }

  async run(name: string, input: Record<string, unknown>): Promise<ToolOutcome> {
    const tool = TOOLS.get(name);
    if (!tool) return { content: `unknown tool "${name}"`, isError: true };
    try {
      // A call still running when the task is cancelled is left behind, so that the task
      // ends (and frees its slot and worktree) whatever the call waits for.
      const outcome = await Promise.race([tool.run(input ?? {}, this.#context), this.#aborted]);
      const max = this.options.maxResultChars ?? DEFAULT_TOOL_RESULT_CHARS;
      const content = capToolResult(name, input, outcome.content, max, this.#context.saved);
      return { ...outcome, content };
    } catch (err) {
      const path = typeof input?.path === 'string' ? JSON.stringify(input.path) : name;
      const error = fileError(err, path);
      if (error instanceof BadInput || error instanceof PathEscapeError) {
        return { content: error.message, isError: true };
      }
      if (error instanceof FileToolError) return { content: error.message, isError: true };
      // Not the model's doing, but still its call's result: the task goes on.
      return { content: `${name} failed inside the worker: ${String(error)}`, isError: true };
    }
  }

  /** Runs the role's test command, streaming its output as command_output events. */
  async runTests(): Promise<TestRun> {
    const { events, emit } = this.options;
    const testCommand = await this.options.testCommand();
    return runTests({
      workspace: this.options.workspace,
      command: testCommand,
      sandbox: this.options.sandbox,
      timeoutMs: this.options.testTimeoutMs,
      signal: this.options.signal,
      onOutput: (stream, chunk) => emit(events.output(testCommand, stream, chunk)),
    });
  }
}
