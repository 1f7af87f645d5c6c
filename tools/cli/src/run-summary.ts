import {
  formatCost,
  formatDuration,
  formatTokens,
  projectStatusName,
  table,
  taskStatusName,
} from './format.js';
import type { RunState } from './run-state.js';

/** The end-of-run summary: every task, then the totals. */
export function runSummary(state: RunState, wallMs: number): string {
  const t = state.totals;
  const rows = [
    ['task', 'kind', 'status', 'attempts', 'corrections', 'tests', 'tokens', 'cost'],
    ...[...state.tasks.values()].map((task) => [
      task.key,
      task.kind,
      taskStatusName(task.status),
      String(task.attempt),
      String(task.corrections),
      task.tests ? `${task.tests.passed}/${task.tests.passed + task.tests.failed}` : '-',
      formatTokens(promptTokens(task) + task.outputTokens),
      formatCost(task.costUsd),
    ]),
  ];
  return [
    table(rows),
    '',
    `tasks ${t.completed}/${t.tasks} completed${t.failed ? `, ${t.failed} failed` : ''}${
      t.cancelled ? `, ${t.cancelled} cancelled` : ''
    } · attempts ${t.attempts} · corrections ${t.corrections} · test runs ${t.testRuns}`,
    `commits ${state.commits} · merges into main ${state.merges} · tokens ${formatTokens(
      promptTokens(t),
    )} in${cacheShare(t)} / ${formatTokens(t.outputTokens)} out · cost ${formatCost(t.costUsd)} · wall time ${formatDuration(wallMs)}`,
    ...mainLine(state),
  ].join('\n');
}

/** How main was verified: each merge's check, and the final main on a fresh checkout. */
function mainLine(state: RunState): string[] {
  const { finalMain: main, mainChecks: checks } = state;
  if (!main && checks.runs === 0) return [];
  const reverted = checks.reverted ? `, ${checks.reverted} red and taken out` : '';
  const after = `main checked after ${checks.runs} merges${reverted}`;
  if (!main) return [after];
  const t = main.tests;
  const counts = t ? `${t.passed} passed, ${t.failed} failed` : 'no tests';
  const verdict = main.passed ? 'green' : 'RED';
  return [
    `${after} · final main ${main.commitSha.slice(0, 12)} ${verdict} on a fresh checkout (${counts})`,
  ];
}

interface PromptUsage {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

/** Every input token: the uncached ones and those read from or written to the cache. */
const promptTokens = (u: PromptUsage) => u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;

/** " (88% read from the cache)", or nothing when no input was counted. */
function cacheShare(u: PromptUsage): string {
  const all = promptTokens(u);
  return all > 0 ? ` (${Math.round((100 * u.cacheReadTokens) / all)}% read from the cache)` : '';
}

/** The summary as data, for `--json`. */
export function runSummaryJson(state: RunState, wallMs: number) {
  return {
    type: 'summary',
    status: projectStatusName(state.projectStatus),
    tasks: [...state.tasks.values()].map((task) => ({
      key: task.key,
      kind: task.kind,
      status: taskStatusName(task.status),
      attempts: task.attempt,
      corrections: task.corrections,
      tests: task.tests ? { passed: task.tests.passed, failed: task.tests.failed } : null,
      input_tokens: task.inputTokens,
      cache_read_input_tokens: task.cacheReadTokens,
      cache_creation_input_tokens: task.cacheWriteTokens,
      output_tokens: task.outputTokens,
      cost_usd: task.costUsd,
    })),
    totals: state.totals,
    commits: state.commits,
    merges: state.merges,
    main: state.finalMain
      ? {
          sha: state.finalMain.commitSha,
          passed: state.finalMain.passed,
          tests: state.finalMain.tests
            ? { passed: state.finalMain.tests.passed, failed: state.finalMain.tests.failed }
            : null,
          checks: state.mainChecks.runs,
          reverted: state.mainChecks.reverted,
        }
      : null,
    wall_ms: Math.round(wallMs),
  };
}
