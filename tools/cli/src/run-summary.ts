import { allInputTokens, formatTokens, type ProjectView, tokensText } from '@codeframe/events';
import {
  formatCost,
  formatDuration,
  projectStatusName,
  table,
  taskKindName,
  taskStatusName,
} from './format.js';

/** The end-of-run summary: every task, then the totals. */
export function runSummary(view: ProjectView, wallMs: number): string {
  const t = runTotals(view);
  const rows = [
    ['task', 'kind', 'status', 'attempts', 'corrections', 'tests', 'tokens', 'cost'],
    ...[...view.tasks.values()].map(({ task, usage, corrections }) => [
      view.taskKey(task.id ?? ''),
      taskKindName(task.kind),
      taskStatusName(task.status),
      String(task.attempt ?? 0),
      String(corrections.length),
      task.tests
        ? `${task.tests.passed ?? 0}/${(task.tests.passed ?? 0) + (task.tests.failed ?? 0)}`
        : '-',
      formatTokens(allInputTokens(usage) + usage.outputTokens),
      formatCost(usage.costUsd),
    ]),
  ];
  return [
    table(rows),
    '',
    `tasks ${t.completed}/${t.tasks} completed${t.failed ? `, ${t.failed} failed` : ''}${
      t.cancelled ? `, ${t.cancelled} cancelled` : ''
    } · attempts ${t.attempts} · corrections ${t.corrections} · test runs ${t.testRuns}`,
    `commits ${view.made.commits} · merges into main ${view.made.merges} · tokens ${tokensText(
      view.usage,
    )} · cost ${formatCost(t.costUsd)} · wall time ${formatDuration(wallMs)}`,
    ...mainLine(view),
  ].join('\n');
}

/** The run's totals: tasks by status, attempts, corrections, tests and usage. */
export function runTotals(view: ProjectView) {
  const records = [...view.tasks.values()];
  const sum = (f: (r: (typeof records)[number]) => number) => records.reduce((n, r) => n + f(r), 0);
  const p = view.progress;
  const usage = view.usage;
  return {
    tasks: p.total,
    completed: p.completed,
    failed: p.failed,
    cancelled: p.cancelled,
    running: p.inProgress,
    blocked: p.blocked,
    attempts: sum((r) => r.task.attempt ?? 0),
    corrections: sum((r) => r.corrections.length),
    testRuns: sum((r) => r.tests.length),
    testsPassed: sum((r) => r.task.tests?.passed ?? 0),
    testsFailed: sum((r) => r.task.tests?.failed ?? 0),
    inputTokens: usage.inputTokens,
    cacheReadTokens: usage.cacheReadInputTokens,
    cacheWriteTokens: usage.cacheCreationInputTokens,
    outputTokens: usage.outputTokens,
    costUsd: usage.costUsd,
  };
}

/** How main was verified: each merge's check, and the final main on a fresh checkout. */
function mainLine(view: ProjectView): string[] {
  const { final: main, runs, reverted } = view.main;
  if (!main && runs === 0) return [];
  const red = reverted ? `, ${reverted} red and taken out` : '';
  const after = `main checked after ${runs} merges${red}`;
  if (!main) return [after];
  const t = main.tests;
  const counts = t ? `${t.passed ?? 0} passed, ${t.failed ?? 0} failed` : 'no tests';
  const verdict = main.passed ? 'green' : 'RED';
  return [
    `${after} · final main ${(main.commit_sha ?? '').slice(0, 12)} ${verdict} on a fresh checkout (${counts})`,
  ];
}

/** The summary as data, for `--json`. */
export function runSummaryJson(view: ProjectView, wallMs: number) {
  const main = view.main.final;
  return {
    type: 'summary',
    status: projectStatusName(view.status),
    tasks: [...view.tasks.values()].map(({ task, usage, corrections }) => ({
      key: view.taskKey(task.id ?? ''),
      kind: taskKindName(task.kind),
      status: taskStatusName(task.status),
      attempts: task.attempt ?? 0,
      corrections: corrections.length,
      tests: task.tests ? { passed: task.tests.passed ?? 0, failed: task.tests.failed ?? 0 } : null,
      input_tokens: usage.inputTokens,
      cache_read_input_tokens: usage.cacheReadInputTokens,
      cache_creation_input_tokens: usage.cacheCreationInputTokens,
      output_tokens: usage.outputTokens,
      cost_usd: usage.costUsd,
    })),
    totals: runTotals(view),
    commits: view.made.commits,
    merges: view.made.merges,
    main: main
      ? {
          sha: main.commit_sha ?? '',
          passed: main.passed ?? false,
          tests: main.tests
            ? { passed: main.tests.passed ?? 0, failed: main.tests.failed ?? 0 }
            : null,
          checks: view.main.runs,
          reverted: view.main.reverted,
        }
      : null,
    wall_ms: Math.round(wallMs),
  };
}
