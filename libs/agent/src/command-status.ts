import type { CommandResult } from './sandbox.js';

/** The first line of a command's result: how it ended, and why when a limit stopped it. */
export function commandStatus(result: CommandResult, timeoutMs: number): string {
  const truncated = result.truncated ? ' (output truncated)' : '';
  if (result.limit) return `${result.limit}${truncated}`;
  if (result.timedOut) return `timed out after ${timeoutMs} ms${truncated}`;
  return `exit code ${result.exitCode ?? result.signal}${truncated}`;
}
