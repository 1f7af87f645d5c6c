// One task card on the board: what the task is, what it waits for, what its agent is doing,
// and how its tests, corrections, commits and tokens stand.
import {
  allInputTokens,
  formatTokens,
  isTaskFinished,
  isTaskTroubled,
  type TaskRecord,
} from '@codeframe/events/view';
import { fill, h, setData } from './dom.js';
import { shortSha, usd } from './format.js';
import { type ProjectState, statusOf } from './project-state.js';
import { agentStateStyle, taskKindLabel, taskStatusStyle } from './status-style.js';

export function createCard(onSelect: (taskId: string) => void): HTMLElement {
  const card = h('article', { class: 'card', 'data-testid': 'task', tabindex: '0' });
  const open = () => {
    if (card.dataset.taskId) onSelect(card.dataset.taskId);
  };
  card.addEventListener('click', (event) => {
    if ((event.target as Element).closest('a, button, summary')) return;
    open();
  });
  card.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      open();
    }
  });
  return card;
}

/** Shortens `127.0.0.1:7101` style addresses for the card; the full one is in the title. */
function shortWorker(worker: string): string {
  return worker.replace(/^(https?:\/\/)?(127\.0\.0\.1|localhost|\[::1\])/, '');
}

export function renderCard(
  card: HTMLElement,
  record: TaskRecord,
  state: ProjectState,
  selected: boolean,
): void {
  const { task } = record;
  const status = statusOf(record);
  const style = taskStatusStyle[status];
  setData(card, 'taskId', task.id ?? '');
  setData(card, 'key', task.key ?? '');
  setData(card, 'status', status);
  setData(card, 'tone', style.tone);
  card.classList.toggle('is-selected', selected);

  const deps = (task.depends_on ?? []).map((id) => {
    const dep = state.tasks.get(id);
    const depStatus = dep ? statusOf(dep) : 'TASK_STATUS_UNSPECIFIED';
    const done = depStatus === 'TASK_STATUS_COMPLETED';
    const failed = depStatus === 'TASK_STATUS_FAILED' || depStatus === 'TASK_STATUS_CANCELLED';
    return h(
      'span',
      {
        class: `dep${done ? ' is-done' : failed ? ' is-failed' : ''}`,
        title: `${dep?.task.title ?? id} (${taskStatusStyle[depStatus].label})`,
      },
      done ? '✓ ' : '',
      state.taskKey(id),
    );
  });

  const agent = record.agent;
  const showAgent = agent && !isTaskFinished(status) && agent.state !== 'AGENT_STATE_DONE';
  const agentStyle = agent ? agentStateStyle[agent.state] : undefined;

  const facts: HTMLElement[] = [];
  const tests = task.tests;
  if (tests && (tests.passed || tests.failed || tests.framework || record.tests.length > 0)) {
    const failed = tests.failed ?? 0;
    const ok = failed === 0 && (tests.exit_code ?? 0) === 0;
    facts.push(
      h(
        'span',
        {
          class: 'fact',
          'data-tone': ok ? 'ok' : 'bad',
          title: `${tests.command || 'tests'} · exit ${tests.exit_code ?? 0}`,
        },
        h('span', { class: 'fact-ok' }, `✓${tests.passed ?? 0}`),
        failed ? h('span', { class: 'fact-bad' }, ` ✗${failed}`) : null,
        tests.framework ? h('span', { class: 'fact-dim' }, ` ${tests.framework}`) : null,
      ),
    );
  }
  if (record.corrections.length > 0) {
    const last = record.corrections[record.corrections.length - 1]!;
    facts.push(
      h(
        'span',
        { class: 'fact', 'data-tone': 'warn', title: 'correction attempts' },
        `fix ${last.attempt}/${last.maxAttempts || '?'}`,
      ),
    );
  }
  const sha = task.merge_sha || task.commit_sha;
  if (sha) {
    const merged = Boolean(task.merge_sha);
    facts.push(
      h(
        'span',
        {
          class: 'fact mono',
          'data-tone': merged ? 'ok' : 'neutral',
          title: merged
            ? `merged into main as ${task.merge_sha}`
            : `commit ${task.commit_sha}, not merged yet`,
        },
        shortSha(sha),
        h('span', { class: 'fact-dim' }, merged ? ' merged' : ' unmerged'),
      ),
    );
  }
  if ((task.attempt ?? 0) > 1) {
    facts.push(h('span', { class: 'fact', title: 'dispatch attempt' }, `try ${task.attempt}`));
  }

  const failedDeps = state.failedDependencies(record);
  const reason = isTaskTroubled(status)
    ? task.error || record.reason
    : failedDeps.length > 0
      ? `won't start: ${failedDeps.map((id) => state.taskKey(id)).join(', ')} did not complete`
      : '';
  const openBlocker = [...state.blockers.values()].some(
    (b) => b.blocker.task_id === task.id && b.blocker.status === 'BLOCKER_STATUS_OPEN',
  );

  const usage = record.usage;
  const spent = allInputTokens(usage) + usage.outputTokens;

  fill(
    card,
    h(
      'div',
      { class: 'card-head' },
      h('span', { class: 'card-key', title: task.id ?? '' }, task.key || task.id),
      openBlocker
        ? h('span', { class: 'badge', 'data-tone': 'warn', title: 'waiting for your answer' }, '?')
        : null,
      h('span', { class: 'badge kind' }, taskKindLabel[task.kind ?? 'TASK_KIND_UNSPECIFIED']),
    ),
    h(
      'div',
      { class: 'card-title', title: task.description || task.title || '' },
      task.title || task.key,
    ),
    deps.length > 0 ? h('div', { class: 'card-deps' }, deps) : null,
    showAgent && agentStyle
      ? h(
          'div',
          { class: 'card-agent', 'data-tone': agentStyle.tone, title: agent.agentId },
          h('span', { class: 'dot' }),
          h('span', { class: 'agent-state' }, agentStyle.label),
          agent.detail && agent.detail !== reason
            ? h('span', { class: 'agent-detail' }, agent.detail)
            : null,
        )
      : null,
    facts.length > 0 ? h('div', { class: 'card-facts' }, facts) : null,
    reason ? h('div', { class: 'card-reason', title: reason }, reason) : null,
    task.worker || spent > 0
      ? h(
          'div',
          { class: 'card-foot' },
          h(
            'span',
            { class: 'worker', title: task.worker ?? '' },
            task.worker ? shortWorker(task.worker) : '',
          ),
          spent > 0
            ? h(
                'span',
                {
                  class: 'usage',
                  title: `${usage.inputTokens} in, ${usage.cacheReadInputTokens} cache read, ${usage.outputTokens} out, ${usage.calls} calls`,
                },
                `${formatTokens(allInputTokens(usage))}/${formatTokens(usage.outputTokens)} · ${usd(usage.costUsd)}`,
              )
            : null,
        )
      : null,
  );
}
