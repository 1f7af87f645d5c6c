import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { TaskEvent } from '@codeframe/proto';
import { FileChangeKind } from '@codeframe/proto';
import type { Workspace } from './git-workspace.js';
import { PathEscapeError, resolveInWorktree } from './path-guard.js';
import type { CommandResult, Sandbox } from './sandbox.js';
import type { TaskEventFactory } from './task-events.js';
import { runTests, type TestRun } from './test-runner.js';
import { TOOL_NAMES } from './tool-definitions.js';

export interface ToolOutcome {
  content: string;
  isError: boolean;
  /** Set by finish. */
  finished?: { summary: string };
  /** Set by ask_human. */
  question?: string;
  tests?: TestRun;
}

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
}

const MAX_READ = 100_000;
const MAX_LIST = 500;
const MAX_MATCHES = 200;
const MAX_COMMAND_BYTES = 65_536;
const SKIPPED_DIRS = new Set(['.git', 'node_modules']);

class BadInput extends Error {}

function str(input: Record<string, unknown>, key: string, optional = false): string {
  const value = input[key];
  if (value === undefined && optional) return '';
  if (typeof value !== 'string') throw new BadInput(`"${key}" must be a string`);
  return value;
}

/**
 * Runs the model's tool calls inside the worktree. A bad call (unknown tool, wrong input, a
 * path outside the worktree, a failing command) becomes an error result for the model,
 * never an exception that ends the task.
 */
export class ToolRunner {
  readonly #worktree: string;

  constructor(private readonly options: ToolRunnerOptions) {
    this.#worktree = options.workspace.path;
  }

  async run(name: string, input: Record<string, unknown>): Promise<ToolOutcome> {
    if (!TOOL_NAMES.has(name)) {
      return { content: `unknown tool "${name}"`, isError: true };
    }
    try {
      return await this.#dispatch(name, input ?? {});
    } catch (err) {
      if (err instanceof BadInput || err instanceof PathEscapeError) {
        return { content: err.message, isError: true };
      }
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return { content: 'no such file or folder', isError: true };
      if (code === 'EISDIR') return { content: 'that is a folder, not a file', isError: true };
      if (code === 'ENOTDIR') return { content: 'that is a file, not a folder', isError: true };
      throw err;
    }
  }

  async #dispatch(name: string, input: Record<string, unknown>): Promise<ToolOutcome> {
    const worktree = this.#worktree;
    switch (name) {
      case 'read_file': {
        const file = await resolveInWorktree(worktree, str(input, 'path'));
        const text = await readFile(file, 'utf8');
        const content = text.length > MAX_READ ? `${text.slice(0, MAX_READ)}\n…(truncated)` : text;
        return { content, isError: false };
      }
      case 'write_file': {
        const path = str(input, 'path');
        const file = await resolveInWorktree(worktree, path);
        const existed = await stat(file).then(
          () => true,
          () => false,
        );
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, str(input, 'content'));
        this.#fileChanged(path, existed ? FileChangeKind.MODIFIED : FileChangeKind.CREATED);
        return { content: `wrote ${path}`, isError: false };
      }
      case 'edit_file': {
        const path = str(input, 'path');
        const file = await resolveInWorktree(worktree, path);
        const oldText = str(input, 'old_text');
        const text = await readFile(file, 'utf8');
        const count = oldText ? text.split(oldText).length - 1 : 0;
        if (count !== 1) {
          return {
            content: `old_text occurs ${count} times in ${path}; it must occur exactly once`,
            isError: true,
          };
        }
        await writeFile(
          file,
          text.replace(oldText, () => str(input, 'new_text')),
        );
        this.#fileChanged(path, FileChangeKind.MODIFIED);
        return { content: `edited ${path}`, isError: false };
      }
      case 'list_files': {
        const root = await resolveInWorktree(worktree, str(input, 'path', true) || '.');
        const files = await this.#walk(root);
        const shown = files.slice(0, MAX_LIST).join('\n');
        return {
          content:
            files.length > MAX_LIST
              ? `${shown}\n…(${files.length - MAX_LIST} more)`
              : shown || '(empty)',
          isError: false,
        };
      }
      case 'search':
        return this.#search(str(input, 'pattern'), str(input, 'path', true) || '.');
      case 'run_command': {
        const command = str(input, 'command');
        // It reaches the sandbox as one argument, which the kernel caps at 128 KiB.
        if (Buffer.byteLength(JSON.stringify(command)) > MAX_COMMAND_BYTES) {
          throw new BadInput(
            `the command is ${Buffer.byteLength(command)} bytes; keep it under ${MAX_COMMAND_BYTES} (write a script with write_file and run that)`,
          );
        }
        const timeout =
          typeof input.timeout_ms === 'number'
            ? Math.min(input.timeout_ms, this.options.commandTimeoutMs)
            : this.options.commandTimeoutMs;
        const result = await this.options.sandbox.run({
          command,
          workspace: this.options.workspace,
          timeoutMs: timeout,
          maxOutputBytes: this.options.maxOutputBytes,
          signal: this.options.signal,
          onOutput: (stream, chunk) =>
            this.options.emit(this.options.events.output(command, stream, chunk)),
        });
        return {
          content: `${commandStatus(result, timeout)}\n${commandOutput(result)}`,
          isError: result.exitCode !== 0 || result.limit !== undefined,
        };
      }
      case 'run_tests': {
        const tests = await this.runTests();
        const { passed, failed, skipped } = tests.summary;
        return {
          content: `${tests.passed ? 'PASSED' : 'FAILED'}: ${passed} passed, ${failed} failed, ${skipped} skipped\n${tests.output}`,
          isError: !tests.passed,
          tests,
        };
      }
      case 'ask_human':
        return {
          content: 'your question was sent to a person',
          isError: false,
          question: str(input, 'question'),
        };
      default: // finish
        return {
          content: 'running the tests',
          isError: false,
          finished: { summary: str(input, 'summary', true) },
        };
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

  #fileChanged(path: string, change: FileChangeKind): void {
    this.options.emit(this.options.events.fileChanged(path, change));
  }

  async #walk(dir: string): Promise<string[]> {
    const out: string[] = [];
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const rel = relative(this.#worktree, join(entry.parentPath, entry.name));
      if (rel.split('/').some((part) => SKIPPED_DIRS.has(part))) continue;
      out.push(rel);
    }
    return out.sort();
  }

  async #search(pattern: string, path: string): Promise<ToolOutcome> {
    let regex: RegExp;
    try {
      regex = new RegExp(pattern);
    } catch {
      throw new BadInput(`"pattern" is not a valid regular expression: ${pattern}`);
    }
    const root = await resolveInWorktree(this.#worktree, path);
    const matches: string[] = [];
    for (const file of await this.#walk(root)) {
      const text = await readFile(join(this.#worktree, file), 'utf8').catch(() => '');
      text.split('\n').forEach((line, i) => {
        if (matches.length < MAX_MATCHES && regex.test(line))
          matches.push(`${file}:${i + 1}: ${line}`);
      });
    }
    return { content: matches.join('\n') || 'no matches', isError: false };
  }
}

/** The first line of a command's result: how it ended, and why when a limit stopped it. */
export function commandStatus(result: CommandResult, timeoutMs: number): string {
  const truncated = result.truncated ? ' (output truncated)' : '';
  if (result.limit) return `${result.limit}${truncated}`;
  if (result.timedOut) return `timed out after ${timeoutMs} ms${truncated}`;
  return `exit code ${result.exitCode ?? result.signal}${truncated}`;
}

function commandOutput(result: CommandResult): string {
  return `${result.stdout}${result.stderr ? `\n[stderr]\n${result.stderr}` : ''}`;
}
