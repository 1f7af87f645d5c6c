import { commandStatus } from '../command-status.js';
import type { CommandResult } from '../sandbox.js';
import type { ToolModule } from './tool.js';
import { BadInput, str } from './tool-input.js';

const MAX_COMMAND_BYTES = 65_536;

export const runCommand: ToolModule = {
  definition: {
    name: 'run_command',
    description:
      'Run a shell command in the repository, in a sandbox without network. Returns the exit code and output.',
    input_schema: {
      type: 'object',
      properties: { command: { type: 'string' }, timeout_ms: { type: 'integer', minimum: 1 } },
      required: ['command'],
    },
  },
  async run(input, context) {
    const command = str(input, 'command');
    // It reaches the sandbox as one argument, which the kernel caps at 128 KiB.
    if (Buffer.byteLength(JSON.stringify(command)) > MAX_COMMAND_BYTES) {
      throw new BadInput(
        `the command is ${Buffer.byteLength(command)} bytes; keep it under ${MAX_COMMAND_BYTES} (write a script with write_file and run that)`,
      );
    }
    const timeout =
      typeof input.timeout_ms === 'number'
        ? Math.min(input.timeout_ms, context.commandTimeoutMs)
        : context.commandTimeoutMs;
    const { events, emit } = context;
    const result = await context.sandbox.run({
      command,
      workspace: context.workspace,
      timeoutMs: timeout,
      maxOutputBytes: context.maxOutputBytes,
      signal: context.signal,
      onOutput: (stream, chunk) => emit(events.output(command, stream, chunk)),
    });
    return {
      content: `${commandStatus(result, timeout)}\n${commandOutput(result)}`,
      isError: result.exitCode !== 0 || result.limit !== undefined,
    };
  },
};

function commandOutput(result: CommandResult): string {
  return `${result.stdout}${result.stderr ? `\n[stderr]\n${result.stderr}` : ''}`;
}
