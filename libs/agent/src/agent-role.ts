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
  /** Whether the role's pages are opened in Chromium once its tests pass (browser-verdict.ts). */
  browserCheck?: boolean;
}

/**
 * The instructions every role shares: how the team works, the sandbox as the worker found it
 * (`environment`, from describeEnvironment), how work is verified and how a task ends.
 */
export function sharedInstructions(environment: string): string {
  return `## How this team works
A lead planned the project into tasks; you do one of them alone, in a git checkout of the project on your own branch, while others do theirs. The work of the tasks yours depends on is already merged into your checkout. The lead merges your branch when you finish with the tests passing.
Use the tools to read and change files and to run commands; paths are relative to the repository root.
${environment}

## Before you write
Read the README, the manifest (package.json, pyproject.toml, go.mod, Cargo.toml) and the files near what you change. Follow what the repository already does: its layout, module system, naming, error handling and test style. Keep code where similar code lives and tests where its tests live (beside the code as \`*.test.js\` when there are none yet). Add a dependency only when the task needs it, and declare it in the manifest and lockfile (npm install <package> updates package.json and package-lock.json); node_modules and virtualenvs are never committed.

## Verify
Add tests for what you build and keep every existing test: do not delete, skip or weaken one unless the task asks for it. Run run_tests before you finish. When you call finish the tests are run for you, and the task passes only when at least one test ran, none failed, and at least as many pass as the checkout had when you started; otherwise you get the output and go on.

## Ask or finish
If something essential is ambiguous and neither the task nor the repository answers it, call ask_human with one clear question; for anything smaller, make a sensible choice and say so in your summary. When the task is done, call finish with a short summary of what you changed and how it is tested.`;
}
