// Sandbox commands and their durations, by outcome.
import { counter, histogram } from '@codeframe/runtime';
import type { CommandResult } from './process-run.js';

const commands = counter({
  name: 'codeframe_sandbox_commands_total',
  help: 'Commands run in the sandbox, by outcome (ok, failed, timed_out, cancelled).',
  labelNames: ['outcome'],
});
const duration = histogram({
  name: 'codeframe_sandbox_command_duration_seconds',
  help: 'Run time of sandbox commands, by outcome.',
  labelNames: ['outcome'],
  buckets: [0.1, 0.5, 2, 10, 30, 120, 600],
});

export function recordCommand(result: CommandResult): void {
  const outcome = result.timedOut
    ? 'timed_out'
    : result.cancelled
      ? 'cancelled'
      : result.exitCode === 0
        ? 'ok'
        : 'failed';
  commands.labels(outcome).inc();
  duration.labels(outcome).observe(result.durationMs / 1000);
}
