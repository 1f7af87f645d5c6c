// The activity log's line for each event worth one, written after the event was applied to
// the project's view (a plan's line counts the tasks it now holds).
import { isMerge, type ProjectView } from '@codeframe/events/view';
import type { NewEntry } from './activity-log.js';
import { duration, plural, shortSha } from './format.js';
import type { BrowserEvent } from './protocol.js';
import { projectStatusStyle, taskStatusStyle } from './status-style.js';

type Line = Pick<NewEntry, 'kind' | 'tone' | 'text' | 'tool' | 'detail'> & { taskId: string };

/** The event's line, or undefined for events the log does not show (or shows folded). */
export function activityEntry(event: BrowserEvent, view: ProjectView): NewEntry | undefined {
  const line = lineOf(event, view);
  return line && { seq: event.seq, timestamp: event.timestamp, ...line };
}

function lineOf(event: BrowserEvent, view: ProjectView): Line | undefined {
  switch (event.type) {
    case 'task_status_changed': {
      const to = event.to ?? 'TASK_STATUS_UNSPECIFIED';
      const from = event.from ? taskStatusStyle[event.from].label : '?';
      const reason = event.reason ? ` · ${event.reason}` : '';
      return {
        taskId: event.task_id ?? '',
        kind: 'status',
        tone: taskStatusStyle[to].tone,
        text: `${from} → ${taskStatusStyle[to].label}${reason}`,
      };
    }
    case 'task_assigned':
      return {
        taskId: event.task_id ?? '',
        kind: 'assigned',
        tone: 'queued',
        text: `assigned to ${event.worker || 'a worker'} (attempt ${event.attempt ?? 1})`,
      };
    case 'task_blocked':
      return {
        taskId: event.task_id ?? '',
        kind: 'status',
        tone: 'warn',
        text: `cannot start: ${event.reason || 'a dependency did not complete'}`,
      };
    case 'task_unblocked':
      return { taskId: event.task_id ?? '', kind: 'status', tone: 'neutral', text: 'unblocked' };
    case 'activity_update':
      return {
        taskId: event.task_id ?? '',
        kind: 'activity',
        tone: event.is_error ? 'bad' : 'neutral',
        text: event.message ?? '',
        tool: event.tool || undefined,
      };
    case 'test_result': {
      const summary = event.summary ?? {};
      const failed = summary.failed ?? 0;
      const ok = failed === 0 && (summary.exit_code ?? 0) === 0;
      const parts = [`${summary.passed ?? 0} passed`, `${failed} failed`];
      if (summary.skipped) parts.push(`${summary.skipped} skipped`);
      const ms = Number(summary.duration_ms ?? 0);
      const how = [summary.framework, ms > 0 ? duration(ms) : ''].filter(Boolean).join(', ');
      return {
        taskId: event.task_id ?? '',
        kind: 'test',
        tone: ok ? 'ok' : 'bad',
        text: `tests ${ok ? 'passed' : 'failed'}: ${parts.join(', ')}${how ? ` (${how})` : ''}`,
        detail: summary.output ? { label: 'output', text: summary.output } : undefined,
      };
    }
    case 'correction_attempt':
      return {
        taskId: event.task_id ?? '',
        kind: 'correction',
        tone: 'warn',
        text: `correction attempt ${event.attempt ?? 0} of ${event.max_attempts ?? 0}`,
        detail: event.failure ? { label: 'failure', text: event.failure } : undefined,
      };
    case 'review_completed': {
      const approved = event.approved ?? false;
      const verdict = approved
        ? 'approved'
        : `changes requested (${plural((event.comments ?? []).length, 'comment')})`;
      return {
        taskId: event.task_id ?? '',
        kind: 'review',
        tone: approved ? 'ok' : 'warn',
        text: `review of attempt ${event.attempt ?? 0}: ${verdict}`,
      };
    }
    case 'quality_gate': {
      const { name = '', command = '', passed = false, summary = '' } = event;
      return {
        taskId: event.task_id ?? '',
        kind: 'gate',
        tone: passed ? 'ok' : 'bad',
        text: `${name} ${passed ? 'passed' : 'failed'}${command ? ` (${command})` : ''}`,
        detail: summary && !passed ? { label: 'output', text: summary } : undefined,
      };
    }
    case 'browser_check': {
      const problems = [
        event.error ?? '',
        ...(event.console_errors ?? []),
        ...(event.missing ?? []).map((m) => `missing ${m}`),
      ].filter(Boolean);
      return {
        taskId: event.task_id ?? '',
        kind: 'browser',
        tone: event.passed ? 'ok' : 'bad',
        text: event.passed
          ? 'page checked in Chromium: loaded, no console errors'
          : `page failed its browser check (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'})`,
        detail: problems.length ? { label: 'findings', text: problems.join('\n') } : undefined,
      };
    }
    case 'context_compacted': {
      const before = Number(event.tokens_before ?? 0);
      const after = Number(event.tokens_after ?? 0);
      return {
        taskId: event.task_id ?? '',
        kind: 'compaction',
        tone: 'neutral',
        text: `conversation compacted: about ${before} → ${after} tokens${event.reason ? ` (${event.reason})` : ''}`,
      };
    }
    case 'main_verified': {
      // The lead's check of a merge before main takes it: a red merge is taken out.
      const output = event.passed ? '' : (event.tests?.output ?? '');
      return {
        taskId: event.task_id ?? '',
        kind: 'verification',
        tone: event.passed ? 'ok' : 'bad',
        text: `${event.summary ?? ''}${event.reverted ? '; the merge was taken out: main stays at its commit before it' : ''}`,
        detail: output ? { label: 'failing output', text: output } : undefined,
      };
    }
    case 'commit_created': {
      const sha = shortSha(event.sha);
      const files = plural(event.files_changed?.length ?? 0, 'file');
      return {
        taskId: event.task_id ?? '',
        kind: 'commit',
        tone: 'ok',
        text: isMerge(event)
          ? `merged into main as ${sha} (${files})`
          : `committed ${sha} on ${event.branch || 'its branch'}: ${(event.message ?? '').split('\n')[0]} (${files})`,
      };
    }
    case 'blocker_created':
    case 'blocker_resolved': {
      const blocker = event.blocker ?? {};
      const taskId = blocker.task_id ?? '';
      // A blocker without a task is the project's own: its budget is spent.
      if (event.type === 'blocker_created') {
        const asks = taskId ? 'asks' : 'project waits';
        return {
          taskId,
          kind: 'blocker',
          tone: 'warn',
          text: `${asks}: ${blocker.question ?? ''}`,
        };
      }
      const answered = taskId ? 'blocker answered' : 'project goes on';
      return { taskId, kind: 'blocker', tone: 'ok', text: `${answered}: ${blocker.answer ?? ''}` };
    }
    case 'plan_ready':
      return {
        taskId: '',
        kind: 'plan',
        tone: 'planning',
        text: `plan ready: ${plural(view.tasks.size, 'task')}`,
      };
    case 'project_status': {
      const style = projectStatusStyle[event.status ?? 'PROJECT_STATUS_UNSPECIFIED'];
      const main = event.main;
      return {
        taskId: '',
        kind: 'project',
        tone: style.tone,
        text: `project ${style.label}${event.reason ? ` · ${event.reason}` : ''}`,
        detail:
          main && !main.passed && main.tests?.output
            ? { label: "main's failing output", text: main.tests.output }
            : undefined,
      };
    }
    default:
      return undefined;
  }
}
