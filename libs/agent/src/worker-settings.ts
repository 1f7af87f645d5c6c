import { llmSettings } from '@codeframe/llm';
import { serverSettings } from '@codeframe/rpc';
import { env, gitSettings, launcherSettings } from '@codeframe/runtime';
import { browserCheckEnvSettings } from './browser-verdict.js';
import { contextEnvSettings } from './context-settings.js';
import { sandboxEnvSettings } from './sandbox-settings.js';

/** What every worker service reads from its environment. */
export function workerSettings(defaultPort: number) {
  return {
    ...serverSettings(defaultPort),
    ...llmSettings,
    capacity: env.int('CODEFRAME_WORKER_CAPACITY', 4, 1, 1024),
    /** Stable identity of the replica; defaults to kind@host:port. */
    workerId: env.optional('CODEFRAME_WORKER_ID'),
    /** Repository mirrors and task worktrees live here. */
    workDir: env.optional('CODEFRAME_WORK_DIR'),
    ...sandboxEnvSettings,
    maxAttempts: env.int('CODEFRAME_MAX_ATTEMPTS', 3, 0, 20),
    maxTurns: env.int('CODEFRAME_MAX_TURNS', 40, 1, 1000),
    /** A task's model cost cap in USD when the request sets none; 0: no cap. */
    maxCostUsd: env.number('CODEFRAME_TASK_BUDGET_USD', 0, 0),
    taskDeadlineMs: env.int('CODEFRAME_TASK_DEADLINE_MS', 30 * 60_000, 1_000),
    commandTimeoutMs: env.int('CODEFRAME_COMMAND_TIMEOUT_MS', 120_000, 100),
    testTimeoutMs: env.int('CODEFRAME_TEST_TIMEOUT_MS', 300_000, 100),
    maxOutputBytes: env.int('CODEFRAME_MAX_OUTPUT_BYTES', 200_000, 1_000),
    /** Repeats of a loop (a call, a ping-pong pair, an error) that earn a nudge, and that stop
     * the task (`stuck: <pattern>`, or a question to a person for one error again and again). */
    stuckNudgeAfter: env.int('CODEFRAME_STUCK_NUDGE_AFTER', 3, 1, 1000),
    stuckStopAfter: env.int('CODEFRAME_STUCK_STOP_AFTER', 5, 1, 1000),
    ...contextEnvSettings,
    ...browserCheckEnvSettings,
    ...gitSettings,
    ...launcherSettings,
  };
}
