// The header: project, status, progress, elapsed time, tokens and cost, connection.
import { tokensText } from '@codeframe/events/view';
import { fill, h, setData, setText } from './dom.js';
import { elapsed, usd } from './format.js';
import type { ProjectState } from './project-state.js';
import type { ProjectSync } from './project-sync.js';
import { projectStatusStyle } from './status-style.js';

const connectionText = {
  live: 'live',
  connecting: 'connecting',
  reconnecting: 'reconnecting',
  offline: 'offline',
  unauthorized: 'token rejected or expired',
} as const;

export class HeaderView {
  readonly el: HTMLElement;
  readonly #name = h('span', { class: 'project-name-text' }, 'CodeFRAME');
  readonly #picker: HTMLButtonElement;
  readonly #status = h('span', {
    class: 'pill',
    'data-testid': 'project-status',
    'data-status': '',
  });
  readonly #progress = h('div', {
    class: 'progress',
    'data-testid': 'progress',
    'data-completed': '0',
    'data-total': '0',
  });
  readonly #bar = h('div', { class: 'progress-bar' });
  readonly #segments = {
    completed: h('span', { class: 'seg', 'data-tone': 'ok' }),
    failed: h('span', { class: 'seg', 'data-tone': 'bad' }),
    inProgress: h('span', { class: 'seg', 'data-tone': 'active' }),
    blocked: h('span', { class: 'seg', 'data-tone': 'warn' }),
  };
  readonly #progressText = h('span', { class: 'progress-text' });
  readonly #elapsed = h('b');
  readonly #tokens = h('b');
  readonly #cost = h('b');
  readonly #usageStat: HTMLElement;
  readonly #connection = h('div', { class: 'conn', 'data-state': 'connecting' });
  readonly #connectionText = h('span');
  readonly #notice = h('div', { class: 'notice', 'data-testid': 'catch-up', hidden: true });

  constructor(onPick: () => void) {
    this.#picker = h(
      'button',
      { class: 'project-name', type: 'button', title: 'Switch project', onclick: onPick },
      this.#name,
      h('span', { class: 'chevron', 'aria-hidden': 'true' }, '▾'),
    );
    fill(this.#bar, Object.values(this.#segments));
    fill(this.#progress, this.#bar, this.#progressText);
    this.#usageStat = h('span', { class: 'stat' }, h('label', null, 'tokens'), this.#tokens);
    fill(this.#connection, h('span', { class: 'conn-dot' }), this.#connectionText);
    this.el = h(
      'header',
      { class: 'topbar' },
      h(
        'div',
        { class: 'brand', title: 'CodeFRAME' },
        h('span', { class: 'brand-mark', 'aria-hidden': 'true' }),
        h('span', { class: 'brand-name' }, 'CodeFRAME'),
      ),
      h('div', { class: 'topbar-project' }, this.#picker, this.#status),
      this.#progress,
      h(
        'div',
        { class: 'stats' },
        h('span', { class: 'stat' }, h('label', null, 'elapsed'), this.#elapsed),
        this.#usageStat,
        h('span', { class: 'stat' }, h('label', null, 'cost'), this.#cost),
      ),
      h('div', { class: 'topbar-conn' }, this.#notice, this.#connection),
    );
  }

  render(state: ProjectState, sync: ProjectSync, now: number): void {
    const project = state.project;
    const name =
      project?.name ||
      (sync.failed
        ? (sync.projectId ?? 'No project')
        : sync.projectId
          ? 'Loading…'
          : 'Choose a project');
    setText(this.#name, name);
    let open = 0;
    for (const b of state.blockers.values())
      if (b.blocker.status === 'BLOCKER_STATUS_OPEN') open += 1;
    const title = `${open ? `(${open}) ` : ''}${project?.name ? `${project.name} · ` : ''}CodeFRAME`;
    if (document.title !== title) document.title = title;

    const status = state.status;
    const style = projectStatusStyle[status];
    setData(this.#status, 'status', project ? status : '');
    setData(this.#status, 'tone', style.tone);
    setText(this.#status, project ? style.label : '—');
    this.#status.title = state.statusReason || style.label;

    const p = state.progress;
    setData(this.#progress, 'completed', String(p.completed));
    setData(this.#progress, 'total', String(p.total));
    const pct = (n: number) => `${p.total > 0 ? (100 * n) / p.total : 0}%`;
    this.#segments.completed.style.width = pct(p.completed);
    this.#segments.failed.style.width = pct(p.failed);
    this.#segments.inProgress.style.width = pct(p.inProgress);
    this.#segments.blocked.style.width = pct(p.blocked);
    const extra = [
      p.inProgress ? `${p.inProgress} running` : '',
      p.blocked ? `${p.blocked} blocked` : '',
      p.failed ? `${p.failed} failed` : '',
    ].filter(Boolean);
    setText(
      this.#progressText,
      p.total > 0
        ? `${p.completed}/${p.total} done${extra.length ? ` · ${extra.join(' · ')}` : ''}`
        : 'no plan yet',
    );
    this.#progress.title = `${p.completed} completed, ${p.failed} failed, ${p.inProgress} in progress, ${p.blocked} blocked, ${p.total} in all`;

    const started = Date.parse(project?.created_at ?? '');
    setText(
      this.#elapsed,
      Number.isNaN(started) ? '—' : elapsed((state.finishedAt ?? now) - started),
    );

    const usage = state.usage;
    setText(this.#tokens, tokensText(usage));
    this.#usageStat.title =
      `${usage.inputTokens} input, ${usage.cacheReadInputTokens} cache read, ${usage.cacheCreationInputTokens} cache write, ` +
      `${usage.outputTokens} output tokens over ${usage.calls} model calls`;
    setText(this.#cost, `${usd(usage.costUsd)}${usage.unpriced ? '+' : ''}`);
    this.#cost.title = usage.unpriced ? 'Some calls used a model missing from the price table' : '';

    const view = sync.view;
    setData(this.#connection, 'state', view);
    let text: string = connectionText[view];
    if (view === 'reconnecting') {
      const seconds = Math.max(0, Math.ceil((sync.retryAt - now) / 1_000));
      text = `reconnecting in ${seconds}s`;
    }
    setText(this.#connectionText, text);
    this.#connection.title = `seq ${sync.lastSeq}${sync.epoch ? ` · edge epoch ${sync.epoch}` : ''}`;

    const notice = sync.notice && sync.notice.until > now ? sync.notice.text : '';
    this.#notice.hidden = !notice;
    setText(this.#notice, notice);
  }
}
