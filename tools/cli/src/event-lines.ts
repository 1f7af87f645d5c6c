import { type BrowserEvent, isMerge, type ProjectView } from '@codeframe/events';
import { formatCost, printable, projectStatusName, taskStatusName } from './format.js';

/**
 * One line for each event worth a line in a log of the run (status changes, tests,
 * corrections, commits, blockers, the project's status); undefined for the rest.
 */
export function eventLine(event: BrowserEvent, view: ProjectView): string | undefined {
  const key = (taskId = '') => printable(view.taskKey(taskId));
  // Everything else an event says came from the model or a worker: printed escaped.
  const p = (text = '') => printable(text);
  switch (event.type) {
    case 'plan_ready': {
      const tasks = event.tasks ?? [];
      return `plan ready: ${tasks.length} tasks (${tasks
        .map((t) =>
          t.depends_on?.length
            ? `${p(t.key)} after ${t.depends_on.map((id) => key(id)).join('+')}`
            : p(t.key),
        )
        .join(', ')})`;
    }
    case 'task_assigned':
      return `${key(event.task_id)}: assigned to ${p(event.worker)} (attempt ${event.attempt ?? 0})`;
    case 'task_status_changed': {
      const { to, reason } = event;
      if (to === 'TASK_STATUS_ASSIGNED') return undefined;
      const why = reason && to !== 'TASK_STATUS_IN_PROGRESS' ? `: ${p(reason)}` : '';
      return `${key(event.task_id)}: ${taskStatusName(to)}${why}`;
    }
    case 'test_result': {
      const s = event.summary;
      if (!s) return undefined;
      const failed = s.failed ?? 0;
      const verdict = failed > 0 || (s.exit_code ?? 0) !== 0 ? '✗ tests failed' : '✓ tests passed';
      return `${key(event.task_id)}: ${verdict} (${s.passed ?? 0} passed, ${failed} failed, ${p(s.framework)})`;
    }
    case 'correction_attempt':
      return `${key(event.task_id)}: correcting what failed above (attempt ${event.attempt ?? 0} of ${event.max_attempts ?? 0})`;
    case 'quality_gate': {
      const how = event.passed ? `✓ ${p(event.name)} passed` : `✗ ${p(event.name)} failed`;
      const why = event.passed
        ? ''
        : `: ${p((event.summary ?? '').split('\n').slice(0, 2).join(' '))}`;
      return `${key(event.task_id)}: ${how} (${p(event.command)})${why}`;
    }
    case 'browser_check': {
      const shot = event.screenshot
        ? `\n    screenshot: codeframe artifact ${p(event.screenshot)}`
        : '';
      if (event.passed) return `${key(event.task_id)}: ✓ page checked in Chromium${shot}`;
      const consoleErrors = event.console_errors ?? [];
      const missing = event.missing ?? [];
      const why = [
        event.error && p(event.error),
        consoleErrors.length && `${consoleErrors.length} console errors (${p(consoleErrors[0])})`,
        missing.length && `missing ${missing.map((m) => p(m)).join(', ')}`,
      ].filter(Boolean);
      return `${key(event.task_id)}: ✗ page failed its browser check: ${why.join('; ')}${shot}`;
    }
    case 'context_compacted':
      return `${key(event.task_id)}: conversation compacted, about ${event.tokens_before ?? 0} → ${event.tokens_after ?? 0} tokens (${p(event.reason)})`;
    case 'review_completed': {
      const verdict = event.approved ? '✓ approved' : '✗ changes requested';
      const comments = (event.comments ?? []).map(
        (c) => `\n    ${p(c.path)}${(c.line ?? 0) > 0 ? `:${c.line}` : ''}: ${p(c.body)}`,
      );
      return `${key(event.task_id)}: review of attempt ${event.attempt ?? 0}: ${verdict}${event.summary ? `: ${p(event.summary)}` : ''}${comments.join('')}`;
    }
    case 'commit_created': {
      const what = isMerge(event) ? 'merged into main' : `committed on ${p(event.branch)}`;
      return `${key(event.task_id)}: ${what} ${p((event.sha ?? '').slice(0, 7))} (${(event.files_changed ?? []).length} files)`;
    }
    case 'blocker_created': {
      const b = event.blocker;
      // A project's own blocker: its budget is spent.
      if (b && !b.task_id)
        return `project waits: ${p(b.question)}\n    raise it with: codeframe budget ${p(b.project_id)} <usd>`;
      return b
        ? `${key(b.task_id)} asks: ${printable(b.question ?? '', { multiline: true })}\n    answer with: codeframe answer ${p(b.id)} "<your answer>"`
        : undefined;
    }
    case 'blocker_resolved': {
      const b = event.blocker;
      if (b && !b.task_id) return `project goes on: ${p(b.answer)}`;
      return b
        ? `${key(b.task_id)}: blocker answered: ${printable(b.answer ?? '', { multiline: true })}`
        : undefined;
    }
    case 'main_verified': {
      const back = event.reverted ? '; the merge was taken out: main stays before it' : '';
      return `${key(event.task_id)}: ${event.passed ? '✓' : '✗'} ${p(event.summary)}${back}`;
    }
    case 'task_blocked':
      return `${key(event.task_id)}: cannot start: ${p(event.reason)}`;
    case 'task_unblocked':
      return `${key(event.task_id)}: unblocked, ready to start`;
    case 'project_status': {
      const cost = formatCost(view.usage.costUsd);
      return `project ${projectStatusName(event.status)}${event.reason ? `: ${p(event.reason)}` : ''} (${cost} so far)`;
    }
    default:
      return undefined;
  }
}
