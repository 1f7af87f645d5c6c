import type { Tool } from '@codeframe/llm';
import type { TaskEvent } from '@codeframe/proto';
import type { Workspace } from '../git-workspace.js';
import type { Sandbox } from '../sandbox.js';
import type { SavedOutputs } from '../saved-outputs.js';
import type { TaskEventFactory } from '../task-events.js';
import type { TestRun } from '../test-runner.js';

/** What one tool call gives back: the model's result, and what the agent loop acts on. */
export interface ToolOutcome {
  content: string;
  isError: boolean;
  /** Set by ask_human. */
  question?: string;
  tests?: TestRun;
}

/** What a tool works with: the task's checkout, its sandbox, and its event stream. */
export interface ToolContext {
  workspace: Workspace;
  sandbox: Sandbox;
  commandTimeoutMs: number;
  maxOutputBytes: number;
  events: TaskEventFactory;
  emit: (event: TaskEvent) => void;
  signal: AbortSignal;
  /** Whole outputs of commands the model saw cut, for read_output. */
  saved: SavedOutputs;
  /** Runs the role's test command, streaming its output as command_output events. */
  runTests: () => Promise<TestRun>;
}

/**
 * One tool: the schema the model is shown and the code that answers a call. `run` may
 * throw (BadInput, a path outside the worktree, a file error): the runner makes that the
 * call's error result.
 */
export interface ToolModule {
  definition: Tool;
  run: (input: Record<string, unknown>, context: ToolContext) => Promise<ToolOutcome>;
}
