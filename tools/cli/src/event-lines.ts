import type { Event } from '@codeframe/proto';
import { TaskStatus } from '@codeframe/proto';
import { formatCost, printable, projectStatusName, taskStatusName } from './format.js';
import type { RunState } from './run-state.js';

/**
 * One line for each event worth a line in a log of the run (status changes, tests,
 * corrections, commits, blockers, the project's status); undefined for the rest.
 */
export function eventLine(event: Event, state: RunState): string | undefined {
  const { payload } = event;
  const key = (taskId: string) => printable(state.tasks.get(taskId)?.key ?? taskId.slice(0, 8));
  // Everything else an event says came from the model or a worker: printed escaped.
  const p = (text: string) => printable(text);
  switch (payload.case) {
    case 'planReady':
      return `plan ready: ${payload.value.tasks.length} tasks (${payload.value.tasks
        .map((t) =>
          t.dependsOn.length ? `${p(t.key)} after ${t.dependsOn.map(key).join('+')}` : p(t.key),
        )
        .join(', ')})`;
    case 'taskAssigned':
      return `${key(payload.value.taskId)}: assigned to ${p(payload.value.worker)} (attempt ${payload.value.attempt})`;
    case 'taskStatusChanged': {
      const { to, reason } = payload.value;
      if (to === TaskStatus.ASSIGNED) return undefined;
      const why = reason && to !== TaskStatus.IN_PROGRESS ? `: ${p(reason)}` : '';
      return `${key(payload.value.taskId)}: ${taskStatusName(to)}${why}`;
    }
    case 'testResult': {
      const s = payload.value.summary;
      if (!s) return undefined;
      const verdict = s.failed > 0 || s.exitCode !== 0 ? '✗ tests failed' : '✓ tests passed';
      return `${key(payload.value.taskId)}: ${verdict} (${s.passed} passed, ${s.failed} failed, ${p(s.framework)})`;
    }
    case 'correctionAttempt':
      return `${key(payload.value.taskId)}: correcting what failed above (attempt ${payload.value.attempt} of ${payload.value.maxAttempts})`;
    case 'qualityGate': {
      const g = payload.value;
      const how = g.passed ? `✓ ${p(g.name)} passed` : `✗ ${p(g.name)} failed`;
      const why = g.passed ? '' : `: ${p(g.summary.split('\n').slice(0, 2).join(' '))}`;
      return `${key(g.taskId)}: ${how} (${p(g.command)})${why}`;
    }
    case 'browserCheck': {
      const c = payload.value;
      const shot = c.screenshot ? `\n    screenshot: codeframe artifact ${p(c.screenshot)}` : '';
      if (c.passed) return `${key(c.taskId)}: ✓ page checked in Chromium${shot}`;
      const why = [
        c.error && p(c.error),
        c.consoleErrors.length &&
          `${c.consoleErrors.length} console errors (${p(c.consoleErrors[0]!)})`,
        c.missing.length && `missing ${c.missing.map(p).join(', ')}`,
      ].filter(Boolean);
      return `${key(c.taskId)}: ✗ page failed its browser check: ${why.join('; ')}${shot}`;
    }
    case 'contextCompacted': {
      const { tokensBefore, tokensAfter, reason } = payload.value;
      return `${key(payload.value.taskId)}: conversation compacted, about ${tokensBefore} → ${tokensAfter} tokens (${p(reason)})`;
    }
    case 'reviewCompleted': {
      const r = payload.value;
      const verdict = r.approved ? '✓ approved' : '✗ changes requested';
      const comments = r.comments.map(
        (c) => `\n    ${p(c.path)}${c.line > 0 ? `:${c.line}` : ''}: ${p(c.body)}`,
      );
      return `${key(r.taskId)}: review of attempt ${r.attempt}: ${verdict}${r.summary ? `: ${p(r.summary)}` : ''}${comments.join('')}`;
    }
    case 'commitCreated': {
      const c = payload.value;
      const what = c.branch === 'main' ? 'merged into main' : `committed on ${p(c.branch)}`;
      return `${key(c.taskId)}: ${what} ${p(c.sha.slice(0, 7))} (${c.filesChanged.length} files)`;
    }
    case 'blockerCreated': {
      const b = payload.value.blocker;
      // A project's own blocker: its budget is spent.
      if (b && !b.taskId)
        return `project waits: ${p(b.question)}\n    raise it with: codeframe budget ${p(b.projectId)} <usd>`;
      return b
        ? `${key(b.taskId)} asks: ${printable(b.question, { multiline: true })}\n    answer with: codeframe answer ${p(b.id)} "<your answer>"`
        : undefined;
    }
    case 'blockerResolved': {
      const b = payload.value.blocker;
      if (b && !b.taskId) return `project goes on: ${p(b.answer)}`;
      return b
        ? `${key(b.taskId)}: blocker answered: ${printable(b.answer, { multiline: true })}`
        : undefined;
    }
    case 'mainVerified': {
      const v = payload.value;
      const back = v.reverted ? '; the merge was taken out: main stays before it' : '';
      return `${key(v.taskId)}: ${v.passed ? '✓' : '✗'} ${p(v.summary)}${back}`;
    }
    case 'taskBlocked':
      return `${key(payload.value.taskId)}: cannot start: ${p(payload.value.reason)}`;
    case 'taskUnblocked':
      return `${key(payload.value.taskId)}: unblocked, ready to start`;
    case 'projectStatus': {
      const { status, reason } = payload.value;
      const cost = formatCost(state.totals.costUsd);
      return `project ${projectStatusName(status)}${reason ? `: ${p(reason)}` : ''} (${cost} so far)`;
    }
    default:
      return undefined;
  }
}
