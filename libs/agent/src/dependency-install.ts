import type { TaskEvent } from '@codeframe/proto';
import { commandStatus } from './command-status.js';
import type { EventChannel } from './event-channel.js';
import type { Workspace } from './git-workspace.js';
import { dependencyInstallCommand } from './project-files.js';
import type { Sandbox } from './sandbox.js';
import type { TaskEventFactory } from './task-events.js';

export interface InstallInput {
  workspace: Workspace;
  sandbox: Sandbox;
  limits: { testTimeoutMs: number; maxOutputBytes: number };
  signal: AbortSignal;
  events: TaskEventFactory;
  channel: EventChannel<TaskEvent>;
}

const NOTE_TAIL = 4_000;

/**
 * Installs a checkout's locked dependencies in the sandbox before the model starts (a task
 * that builds on merged work starts without node_modules, which are never committed).
 * Streams the install's output; when it fails, returns a note for the model's first
 * message with the command and the end of its output, so the model can repair it.
 */
export async function* installDependencies(
  input: InstallInput,
): AsyncGenerator<TaskEvent, { note?: string } | undefined> {
  const command = await dependencyInstallCommand(input.workspace.path);
  if (!command) return undefined;
  const { events, channel } = input;
  yield events.activity(`installing the dependencies: ${command}`, 'run_command');
  const run = input.sandbox.run({
    command,
    workspace: input.workspace,
    timeoutMs: input.limits.testTimeoutMs,
    maxOutputBytes: input.limits.maxOutputBytes,
    signal: input.signal,
    onOutput: (stream, chunk) => channel.push(events.output(command, stream, chunk)),
  });
  const result = yield* channel.until(run);
  if (result.exitCode === 0 && !result.limit) {
    yield events.activity(
      `dependencies installed (${command}, ${(result.durationMs / 1000).toFixed(1)} s)`,
    );
    return {};
  }
  const status = commandStatus(result, input.limits.testTimeoutMs);
  yield events.activity(`${command} failed: ${status}`, 'run_command', true);
  const output = `${result.stdout}\n${result.stderr}`.trim().slice(-NOTE_TAIL);
  return {
    note: `## Dependencies\nThe worker ran \`${command}\` before you started, and it failed (${status}):\n\n${output}`,
  };
}
