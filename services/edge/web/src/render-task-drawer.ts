// The detail drawer of one task: description, tests with their output, quality gates, reviews,
// corrections, commits, files changed and usage.
import { formatTokens, isMerge, isTaskTroubled, type TaskRecord } from '@codeframe/events/view';
import { type Child, fill, h } from './dom.js';
import { clockTime, duration, plural, shortSha, usd } from './format.js';
import type { ProjectState } from './project-state.js';
import type { FileChangeKind, QualityGate } from './protocol.js';
import { reviewSection } from './render-reviews.js';
import { agentStateStyle, taskKindLabel, taskStatusStyle } from './status-style.js';

const fileChange: Record<FileChangeKind, { label: string; tone: string }> = {
  FILE_CHANGE_KIND_UNSPECIFIED: { label: 'changed', tone: 'neutral' },
  FILE_CHANGE_KIND_CREATED: { label: 'added', tone: 'ok' },
  FILE_CHANGE_KIND_MODIFIED: { label: 'modified', tone: 'active' },
  FILE_CHANGE_KIND_DELETED: { label: 'deleted', tone: 'bad' },
};

function section(title: string, count: number | string, ...body: Child[]): HTMLElement {
  return h(
    'section',
    { class: 'drawer-section' },
    h('h3', null, title, count !== '' ? h('span', { class: 'panel-count' }, String(count)) : null),
    body,
  );
}

function collapsible(key: string, summary: Child, text: string, open = false): HTMLElement {
  return h(
    'details',
    { class: 'drawer-details', 'data-key': key, open },
    h('summary', null, summary),
    h('pre', null, text),
  );
}

/** The latest result of each of the task's quality gates; none before its tests passed. */
function gatesSection(gates: readonly QualityGate[]): HTMLElement | null {
  if (gates.length === 0) return null;
  const failed = gates.filter((g) => !g.passed).length;
  return section(
    'Quality gates',
    failed ? `${failed} failed` : gates.length,
    gates.map((g) =>
      h(
        'div',
        { class: 'run', 'data-tone': g.passed ? 'ok' : 'bad', 'data-testid': 'quality-gate' },
        h(
          'div',
          { class: 'run-line' },
          h('span', { class: 'run-mark' }, g.passed ? '✓' : '✗'),
          h('b', null, `${g.name ?? ''} ${g.passed ? 'passed' : 'failed'}`),
          h('span', { class: 'muted' }, g.attempt ? `correction ${g.attempt}` : 'first run'),
        ),
        g.command ? h('div', { class: 'mono run-command' }, `$ ${g.command}`) : null,
        g.summary
          ? collapsible(
              `gate-${g.name}`,
              g.passed ? 'summary' : 'output tail',
              g.summary,
              !g.passed,
            )
          : null,
      ),
    ),
  );
}

export class TaskDrawer {
  readonly el: HTMLElement;
  readonly #body = h('div', { class: 'drawer-body' });
  readonly #head = h('div', { class: 'drawer-head' });
  taskId: string | undefined;

  constructor(
    private readonly onClose: () => void,
    private readonly onSelect: (taskId: string) => void,
    /** The link to an artifact (a browser check's screenshot) on the edge. */
    private readonly artifactHref: (artifactId: string) => string = (id) => `/api/artifacts/${id}`,
  ) {
    this.el = h(
      'aside',
      { class: 'drawer', 'data-testid': 'task-drawer', hidden: true, 'aria-label': 'Task details' },
      this.#head,
      this.#body,
    );
  }

  open(taskId: string | undefined): void {
    if (taskId !== this.taskId) this.#body.scrollTop = 0;
    this.taskId = taskId;
    this.el.hidden = !taskId;
  }

  render(state: ProjectState): void {
    const record = this.taskId ? state.tasks.get(this.taskId) : undefined;
    if (!record) {
      this.el.hidden = true;
      return;
    }
    const opened = new Set(
      [...this.el.querySelectorAll<HTMLDetailsElement>('details[data-key]')]
        .filter((d) => d.open)
        .map((d) => d.dataset.key),
    );
    const closed = new Set(
      [...this.el.querySelectorAll<HTMLDetailsElement>('details[data-key]')]
        .filter((d) => !d.open)
        .map((d) => d.dataset.key),
    );
    const scroll = this.#body.scrollTop;
    this.#renderHead(record);
    fill(this.#body, this.#content(state, record));
    for (const details of this.el.querySelectorAll<HTMLDetailsElement>('details[data-key]')) {
      if (opened.has(details.dataset.key)) details.open = true;
      if (closed.has(details.dataset.key)) details.open = false;
    }
    this.#body.scrollTop = scroll;
  }

  /** The task's blockers, open or answered. */
  #questions(state: ProjectState, taskId: string): HTMLElement | null {
    const blockers = [...state.blockers.values()]
      .filter((b) => b.blocker.task_id === taskId)
      .sort((a, b) => (a.blocker.created_at ?? '').localeCompare(b.blocker.created_at ?? ''));
    if (blockers.length === 0) return null;
    return section(
      'Questions',
      blockers.length,
      blockers.map(({ blocker }) => {
        const resolved = blocker.status === 'BLOCKER_STATUS_RESOLVED';
        return h(
          'div',
          { class: 'run', 'data-tone': resolved ? 'ok' : 'warn' },
          h(
            'div',
            { class: 'run-line' },
            h('span', { class: 'run-mark' }, resolved ? '✓' : '?'),
            h('span', null, blocker.question ?? ''),
            h('span', { class: 'run-time' }, clockTime(blocker.created_at)),
          ),
          resolved
            ? h('div', { class: 'blocker-answer-text' }, `↳ ${blocker.answer ?? ''}`)
            : h('div', { class: 'muted' }, 'Waiting for an answer (see the top of the page).'),
        );
      }),
    );
  }

  /** The page's checks in Chromium, with links to their screenshots (the task's artifacts). */
  #browserChecks(record: TaskRecord): HTMLElement | null {
    const checks = [...record.browserChecks].reverse();
    const shown = new Set(checks.map((c) => c.screenshot));
    const others = (record.task.artifacts ?? []).filter((a) => !shown.has(a));
    if (checks.length === 0 && others.length === 0) return null;
    const link = (id: string, label: string) =>
      h(
        'a',
        {
          class: 'link',
          href: this.artifactHref(id),
          target: '_blank',
          rel: 'noopener',
          'data-testid': 'artifact-link',
        },
        label,
      );
    return section(
      'Browser checks',
      checks.length || '',
      checks.map((c) => {
        const problems = [
          c.error,
          ...c.consoleErrors,
          ...c.missing.map((m) => `missing ${m}`),
        ].filter(Boolean);
        return h(
          'div',
          { class: 'run', 'data-tone': c.passed ? 'ok' : 'bad' },
          h(
            'div',
            { class: 'run-line' },
            h('span', { class: 'run-mark' }, c.passed ? '✓' : '✗'),
            h(
              'b',
              null,
              c.passed ? 'page loaded cleanly' : `${plural(problems.length, 'problem')}`,
            ),
            h('span', { class: 'muted' }, c.attempt ? `correction ${c.attempt}` : 'first check'),
            c.screenshot ? link(c.screenshot, 'screenshot') : null,
            h('span', { class: 'run-time' }, clockTime(c.timestamp)),
          ),
          problems.length
            ? collapsible(`browser-${c.seq}`, 'findings', problems.join('\n'), !c.passed)
            : null,
        );
      }),
      others.map((id) => h('div', { class: 'run' }, link(id, id.split('/')[1] ?? id))),
    );
  }

  #renderHead(record: TaskRecord): void {
    const status = record.task.status ?? 'TASK_STATUS_UNSPECIFIED';
    const style = taskStatusStyle[status];
    fill(
      this.#head,
      h(
        'div',
        { class: 'drawer-title-row' },
        h('span', { class: 'card-key' }, record.task.key ?? ''),
        h('span', { class: 'pill', 'data-tone': style.tone }, style.label),
        h(
          'span',
          { class: 'badge kind' },
          taskKindLabel[record.task.kind ?? 'TASK_KIND_UNSPECIFIED'],
        ),
        h(
          'button',
          { class: 'icon-button', type: 'button', title: 'Close (Esc)', onclick: this.onClose },
          '×',
        ),
      ),
      h('h2', { class: 'drawer-title' }, record.task.title || record.task.key),
    );
  }

  #content(state: ProjectState, record: TaskRecord): Child[] {
    const { task } = record;
    const id = task.id ?? '';
    const depLinks = (ids: string[]) =>
      ids.length === 0
        ? '—'
        : ids.map((dep) => {
            const depStatus = state.tasks.get(dep)?.task.status ?? 'TASK_STATUS_UNSPECIFIED';
            return h(
              'button',
              {
                class: 'dep link',
                type: 'button',
                'data-tone': taskStatusStyle[depStatus].tone,
                title: taskStatusStyle[depStatus].label,
                onclick: () => this.onSelect(dep),
              },
              state.taskKey(dep),
            );
          });
    const agent = record.agent;
    const facts: [string, Child][] = [
      ['depends on', depLinks(task.depends_on ?? [])],
      ['needed by', depLinks(state.dependents(id))],
      ['attempt', String(task.attempt ?? 0)],
      ['worker', task.worker || '—'],
      [
        'agent',
        agent
          ? `${agentStateStyle[agent.state].label}${agent.detail ? ` · ${agent.detail}` : ''}`
          : '—',
      ],
      ['branch', task.branch ? h('span', { class: 'mono' }, task.branch) : '—'],
      [
        'commit',
        task.commit_sha
          ? h('span', { class: 'mono', title: task.commit_sha }, shortSha(task.commit_sha))
          : '—',
      ],
      [
        'merge',
        task.merge_sha
          ? h(
              'span',
              { class: 'mono', 'data-tone': 'ok', title: task.merge_sha },
              `${shortSha(task.merge_sha)} on main`,
            )
          : 'not merged',
      ],
    ];
    const reason = isTaskTroubled(task.status) ? task.error || record.reason : record.reason;
    const usage = record.usage;
    const tests = [...record.tests].reverse();
    const files = [...record.files].sort(([a], [b]) => a.localeCompare(b));

    return [
      reason
        ? h(
            'div',
            {
              class: 'drawer-reason',
              'data-tone': taskStatusStyle[task.status ?? 'TASK_STATUS_UNSPECIFIED'].tone,
            },
            reason,
          )
        : null,
      task.description ? h('p', { class: 'drawer-description' }, task.description) : null,
      h(
        'dl',
        { class: 'facts' },
        facts.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]),
      ),
      (task.acceptance_criteria ?? []).length > 0
        ? section(
            'Acceptance criteria',
            '',
            h(
              'ul',
              { class: 'criteria' },
              (task.acceptance_criteria ?? []).map((c) => h('li', null, c)),
            ),
          )
        : null,
      section(
        'Tests',
        tests.length || '',
        tests.length === 0
          ? task.tests?.framework
            ? h(
                'div',
                { class: 'muted' },
                `last run: ${task.tests.passed ?? 0} passed, ${task.tests.failed ?? 0} failed`,
              )
            : h('div', { class: 'muted' }, 'No test run yet.')
          : tests.map((run, i) => {
              const s = run.summary;
              const failed = s.failed ?? 0;
              const ok = failed === 0 && (s.exit_code ?? 0) === 0;
              const ms = Number(s.duration_ms ?? 0);
              return h(
                'div',
                { class: 'run', 'data-tone': ok ? 'ok' : 'bad' },
                h(
                  'div',
                  { class: 'run-line' },
                  h('span', { class: 'run-mark' }, ok ? '✓' : '✗'),
                  h(
                    'b',
                    null,
                    `${s.passed ?? 0} passed, ${failed} failed${s.skipped ? `, ${s.skipped} skipped` : ''}`,
                  ),
                  h(
                    'span',
                    { class: 'muted' },
                    [
                      s.framework,
                      ms ? duration(ms) : '',
                      `exit ${s.exit_code ?? 0}`,
                      run.attempt ? `correction ${run.attempt}` : 'first run',
                    ]
                      .filter(Boolean)
                      .join(' · '),
                  ),
                  h('span', { class: 'run-time' }, clockTime(run.timestamp)),
                ),
                s.command ? h('div', { class: 'mono run-command' }, `$ ${s.command}`) : null,
                s.output
                  ? collapsible(`test-${run.seq}`, 'output tail', s.output, i === 0 && !ok)
                  : null,
              );
            }),
      ),
      gatesSection(task.gates ?? []),
      this.#questions(state, id),
      reviewSection(record),
      this.#browserChecks(record),
      record.corrections.length > 0
        ? section(
            'Corrections',
            record.corrections.length,
            record.corrections.map((c) =>
              h(
                'div',
                { class: 'run', 'data-tone': 'warn' },
                h(
                  'div',
                  { class: 'run-line' },
                  h('span', { class: 'run-mark' }, '↻'),
                  h('b', null, `attempt ${c.attempt} of ${c.maxAttempts}`),
                  h('span', { class: 'run-time' }, clockTime(c.timestamp)),
                ),
                c.failure
                  ? collapsible(`fix-${c.seq}`, 'failure fed back to the model', c.failure)
                  : null,
              ),
            ),
          )
        : null,
      section(
        'Commits',
        record.commits.length || '',
        record.commits.length === 0
          ? h('div', { class: 'muted' }, 'No commit yet.')
          : record.commits.map((c) =>
              h(
                'div',
                { class: 'run', 'data-tone': isMerge(c) ? 'ok' : 'neutral' },
                h(
                  'div',
                  { class: 'run-line' },
                  h('span', { class: 'sha' }, shortSha(c.sha)),
                  h('span', { class: 'badge' }, c.branch || 'branch'),
                  h('span', { class: 'commit-message' }, c.message.split('\n')[0]),
                  h('span', { class: 'run-time' }, clockTime(c.timestamp)),
                ),
                c.files && c.files.length > 0
                  ? collapsible(
                      `commit-${c.seq}`,
                      plural(c.files.length, 'file'),
                      c.files.join('\n'),
                    )
                  : null,
              ),
            ),
      ),
      files.length > 0
        ? section(
            'Files changed',
            files.length,
            h(
              'ul',
              { class: 'files' },
              files.map(([path, kind]) =>
                h(
                  'li',
                  null,
                  h(
                    'span',
                    { class: 'badge', 'data-tone': fileChange[kind].tone },
                    fileChange[kind].label,
                  ),
                  h('span', { class: 'mono' }, path),
                ),
              ),
            ),
          )
        : null,
      section(
        'Usage',
        '',
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, 'input'),
          h(
            'dd',
            null,
            `${formatTokens(usage.inputTokens)} + ${formatTokens(usage.cacheReadInputTokens)} cache read + ${formatTokens(usage.cacheCreationInputTokens)} cache write`,
          ),
          h('dt', null, 'output'),
          h('dd', null, formatTokens(usage.outputTokens)),
          h('dt', null, 'cost'),
          h(
            'dd',
            null,
            `${usd(usage.costUsd)} over ${plural(usage.calls, 'call')}${usage.unpriced ? ' (some unpriced)' : ''}`,
          ),
        ),
      ),
    ];
  }
}
