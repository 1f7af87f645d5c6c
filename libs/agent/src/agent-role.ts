import type { TaskKind } from '@codeframe/proto';

/** What makes a worker kind: its system prompt and how it runs the project's tests. */
export interface AgentRole {
  kind: TaskKind;
  /** Prepended to the shared instructions of every agent. */
  systemPrompt: string;
  /** Conventional-commit type of this role's commits, e.g. "feat" or "test". */
  commitType: string;
  /** The command that runs the tests in a worktree. */
  testCommand(worktree: string): Promise<string>;
}

/**
 * The instructions every role shares: the tools, the sandbox as the worker found it
 * (`environment`, from describeEnvironment), and how a task ends.
 */
export function sharedInstructions(environment: string): string {
  return `You work alone in a git checkout of the project, on your own branch.
Use the tools to read and change files and to run commands; paths are relative to the repository root.
${environment}
Declare every dependency in the project's manifest and lockfile (npm install <package> updates package.json and package-lock.json); node_modules and virtualenvs are never committed, and a later task installs them again from the lockfile.
Keep the project's tests passing and add tests for what you build.
When the task is done, call finish with a short summary. The tests are then run for you; if they fail you get the output and fix the code.
If something essential is ambiguous and neither the task nor the repository answers it, call ask_human with one clear question.`;
}
