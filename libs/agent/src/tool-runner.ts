import { join } from 'node:path';
import type { TaskEvent } from '@codeframe/proto';
import { FileChangeKind } from '@codeframe/proto';
import { RE2JS } from 're2js';
import type { Workspace } from './git-workspace.js';
import { PathEscapeError, resolveInWorktree } from './path-guard.js';
import type { CommandResult, Sandbox } from './sandbox.js';
import { SavedOutputs } from './saved-outputs.js';
import type { TaskEventFactory } from './task-events.js';
import { runTests, type TestRun } from './test-runner.js';
import { pageFooter, pageOf } from './text-pages.js';
import { TOOL_NAMES } from './tool-definitions.js';
import { capToolResult, DEFAULT_TOOL_RESULT_CHARS } from './tool-result-cap.js';
import {
  FileToolError,
  fileError,
  readRegularFile,
  walkFiles,
  writeRegularFile,
} from './worktree-files.js';

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
  /** Characters of one result the model gets; longer ones keep their head and tail. */
  maxResultChars?: number;
}

/** Bytes of a file read_file pages through (the model sees at most maxResultChars). */
const MAX_READ = 8 * 1024 * 1024;
/** The largest file edit_file loads to change. */
const MAX_EDIT = 4 * 1024 * 1024;
const MAX_LIST = 500;
/** Entries a listing or a search looks at before it stops. */
const MAX_WALK = 50_000;
const MAX_MATCHES = 200;
/** Bytes of each file a search looks at, and of all files together. */
const MAX_SEARCH_FILE = 1024 * 1024;
const MAX_SEARCH_TOTAL = 64 * 1024 * 1024;
const MAX_MATCH_LINE = 500;
const MAX_COMMAND_BYTES = 65_536;
const WALK = { skip: new Set(['.git', 'node_modules']), maxEntries: MAX_WALK };

class BadInput extends Error {}

function str(input: Record<string, unknown>, key: string, optional = false): string {
  const value = input[key];
  if (value === undefined && optional) return '';
  if (typeof value !== 'string') throw new BadInput(`"${key}" must be a string`);
  return value;
}

/** A positive whole number the model may leave out. */
function count(input: Record<string, unknown>, key: string): number | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw new BadInput(`"${key}" must be a whole number of lines, 1 or more`);
  }
  return value as number;
}

/** The lines of `text` that `offset` and `limit` ask for, with a footer saying where. */
function paged(input: Record<string, unknown>, text: string, more: string): string {
  const offset = count(input, 'offset');
  const limit = count(input, 'limit');
  if (offset === undefined && limit === undefined) return text;
  const page = pageOf(text, offset ?? 1, limit);
  return `${page.text}\n${pageFooter(page, more)}`;
}

/**
 * Runs the model's tool calls inside the worktree. Every call comes back as a result: a bad
 * call (unknown tool, wrong input, a path outside the worktree or to a FIFO, a file system
 * error, a failing command) becomes an error result for the model, never an exception
 * that breaks the task's stream.
 */
export class ToolRunner {
  readonly #worktree: string;

  readonly #aborted: Promise<ToolOutcome>;

  /** Whole outputs of commands the model saw cut, for read_output. */
  readonly #saved = new SavedOutputs();

  constructor(private readonly options: ToolRunnerOptions) {
    this.#worktree = options.workspace.path;
    const { signal } = options;
    this.#aborted = new Promise((resolve) => {
      const stop = () => resolve({ content: 'the task was stopped', isError: true });
      if (signal.aborted) stop();
      else signal.addEventListener('abort', stop, { once: true });
    });
  }

  async run(name: string, input: Record<string, unknown>): Promise<ToolOutcome> {
    if (!TOOL_NAMES.has(name)) {
      return { content: `unknown tool "${name}"`, isError: true };
    }
    try {
      // A call still running when the task is cancelled is left behind, so that the task
      // ends (and frees its slot and worktree) whatever the call waits for.
      const outcome = await Promise.race([this.#dispatch(name, input ?? {}), this.#aborted]);
      const max = this.options.maxResultChars ?? DEFAULT_TOOL_RESULT_CHARS;
      return { ...outcome, content: capToolResult(name, input, outcome.content, max, this.#saved) };
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

  async #dispatch(name: string, input: Record<string, unknown>): Promise<ToolOutcome> {
    const worktree = this.#worktree;
    switch (name) {
      case 'read_file': {
        const path = str(input, 'path');
        const file = await resolveInWorktree(worktree, path);
        const read = await readRegularFile(file, JSON.stringify(path), MAX_READ);
        const content = paged(input, read.text, 'call read_file');
        const cut = read.truncated
          ? `\n…(truncated: read_file reads the first ${MAX_READ} of ${read.size} bytes; use run_command with sed or grep for the rest)`
          : '';
        return { content: `${content}${cut}`, isError: false };
      }
      case 'read_output': {
        const saved = this.#saved.get(str(input, 'id'));
        if ('error' in saved) return { content: saved.error, isError: true };
        return { content: paged(input, saved.text, 'call read_output'), isError: false };
      }
      case 'write_file': {
        const path = str(input, 'path');
        const content = str(input, 'content');
        const file = await resolveInWorktree(worktree, path);
        const existed = await writeRegularFile(worktree, file, JSON.stringify(path), content);
        this.#fileChanged(path, existed ? FileChangeKind.MODIFIED : FileChangeKind.CREATED);
        return { content: `wrote ${path}`, isError: false };
      }
      case 'edit_file': {
        const path = str(input, 'path');
        const oldText = str(input, 'old_text');
        const newText = str(input, 'new_text');
        const file = await resolveInWorktree(worktree, path);
        const shown = JSON.stringify(path);
        const read = await readRegularFile(file, shown, MAX_EDIT);
        if (read.truncated) {
          throw new BadInput(
            `${shown} is ${read.size} bytes, too large for edit_file (at most ${MAX_EDIT}): change it with run_command`,
          );
        }
        const count = oldText ? read.text.split(oldText).length - 1 : 0;
        if (count !== 1) {
          return {
            content: `old_text occurs ${count} times in ${path}; it must occur exactly once`,
            isError: true,
          };
        }
        await writeRegularFile(
          worktree,
          file,
          shown,
          read.text.replace(oldText, () => newText),
        );
        this.#fileChanged(path, FileChangeKind.MODIFIED);
        return { content: `edited ${path}`, isError: false };
      }
      case 'list_files': {
        const path = str(input, 'path', true) || '.';
        const root = await resolveInWorktree(worktree, path);
        const { files, stopped } = await walkFiles(worktree, root, JSON.stringify(path), WALK);
        const shown = files.slice(0, MAX_LIST).join('\n');
        const more = files.length > MAX_LIST ? `\n…(${files.length - MAX_LIST} more)` : '';
        const cut = stopped ? `\n…(the listing stopped after ${MAX_WALK} entries)` : '';
        return { content: `${shown || '(empty)'}${more}${cut}`, isError: false };
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

  async #search(pattern: string, path: string): Promise<ToolOutcome> {
    const regex = compilePattern(pattern);
    const root = await resolveInWorktree(this.#worktree, path);
    const shown = JSON.stringify(path);
    const { files, stopped } = await walkFiles(this.#worktree, root, shown, WALK);
    const matches: string[] = [];
    const notes: string[] = [];
    let budget = MAX_SEARCH_TOTAL;
    for (const file of files) {
      if (matches.length >= MAX_MATCHES) break;
      if (budget <= 0) {
        notes.push(`…(the search stopped after ${MAX_SEARCH_TOTAL} bytes; narrow "path")`);
        break;
      }
      // A file that is not regular (any more), or cannot be read, is not searched.
      const read = await readRegularFile(
        join(this.#worktree, file),
        file,
        Math.min(MAX_SEARCH_FILE, budget),
      ).catch(() => undefined);
      // Binary files (a NUL early on, as grep decides) are not searched.
      if (!read || read.text.slice(0, 8192).includes('\0')) continue;
      budget -= read.text.length;
      if (read.truncated) notes.push(`…(only the first ${MAX_SEARCH_FILE} bytes of ${file})`);
      const lines = read.text.split('\n');
      for (let i = 0; i < lines.length && matches.length < MAX_MATCHES; i++) {
        const line = lines[i] ?? '';
        if (regex.matcher(line).find()) {
          const cut = line.length > MAX_MATCH_LINE ? `${line.slice(0, MAX_MATCH_LINE)}…` : line;
          matches.push(`${file}:${i + 1}: ${cut}`);
        }
      }
    }
    if (stopped) notes.push(`…(the search looked at the first ${MAX_WALK} entries only)`);
    const found = matches.join('\n') || 'no matches';
    return { content: [found, ...notes.slice(0, 5)].join('\n'), isError: false };
  }
}

/** The model's pattern, in RE2 syntax, which matches in time linear in the input. */
function compilePattern(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    throw new BadInput(
      `"pattern" is not a valid RE2 pattern (${(err as Error).message}): search matches in linear time, so lookaround or backreferences are not supported`,
    );
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
