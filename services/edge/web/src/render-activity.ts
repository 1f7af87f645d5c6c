// The live activity log: newest at the bottom, following the end unless the user scrolled
// up, at most DOM_LIMIT lines in the page however long the run.
import type { LogEntry, LogKind } from './activity-log.js';
import { h, setText } from './dom.js';
import { clockTime, plural } from './format.js';
import type { ProjectState } from './project-state.js';
import { taskStatusStyle } from './status-style.js';

export const DOM_LIMIT = 500;
const STICK_SLACK_PX = 40;

const icons: Record<LogKind, string> = {
  activity: '·',
  command: '$',
  status: '→',
  assigned: '⇢',
  test: '✓',
  correction: '↻',
  compaction: '⇊',
  review: '◎',
  gate: '▣',
  browser: '◨',
  commit: '●',
  verification: '✔',
  blocker: '?',
  project: '◆',
  plan: '≡',
};

/** Tool calls are described as `<tool> <argument>`; the tool already has its own label. */
function withoutTool(entry: LogEntry): string {
  const { tool, text } = entry;
  return tool && text.startsWith(`${tool} `) ? text.slice(tool.length + 1) : text;
}

/** A foldable block under a log line: an inline toggle, and the text below it once opened. */
class Fold {
  readonly toggle: HTMLButtonElement;
  readonly pre = h('pre', { class: 'log-pre', hidden: true });
  #label = '';
  #stale = true;

  constructor(private readonly text: () => string) {
    this.toggle = h('button', { class: 'log-fold', type: 'button', 'aria-expanded': 'false' });
    this.toggle.addEventListener('click', () => {
      const open = this.pre.hidden;
      this.pre.hidden = !open;
      this.toggle.setAttribute('aria-expanded', String(open));
      this.#render();
      if (open && this.#stale) this.refresh();
    });
  }

  get open(): boolean {
    return !this.pre.hidden;
  }

  label(label: string): void {
    this.#label = label;
    this.#render();
  }

  /** The text changed: redraw it now if open, else when opened. */
  refresh(): void {
    if (this.open) {
      this.pre.textContent = this.text();
      this.#stale = false;
    } else {
      this.#stale = true;
    }
  }

  #render(): void {
    setText(this.toggle, `${this.open ? '▾' : '▸'} ${this.#label}`);
  }
}

const countLines = (text: string) => text.split('\n').filter((l) => l.trim()).length;

export class ActivityView {
  readonly el: HTMLElement;
  readonly #log: HTMLElement;
  readonly #lines = new Map<number, HTMLElement>();
  readonly #outputs = new Map<number, Fold>();
  readonly #jump: HTMLButtonElement;
  readonly #outputToggle: HTMLInputElement;
  #lastId = 0;
  #generation = 0;
  #stick = true;
  #unseen = 0;

  constructor(private readonly onSelect: (taskId: string) => void) {
    this.#log = h('div', {
      class: 'log',
      'data-testid': 'activity-log',
      role: 'log',
      'aria-live': 'off',
    });
    this.#log.addEventListener('scroll', () => {
      const log = this.#log;
      this.#stick = log.scrollHeight - log.scrollTop - log.clientHeight < STICK_SLACK_PX;
      if (this.#stick) this.#setUnseen(0);
    });
    this.#jump = h('button', { class: 'jump', type: 'button', hidden: true }, '');
    this.#jump.addEventListener('click', () => {
      this.#stick = true;
      this.#log.scrollTop = this.#log.scrollHeight;
      this.#setUnseen(0);
    });
    this.#outputToggle = h('input', { type: 'checkbox', checked: true });
    this.#outputToggle.addEventListener('change', () => {
      this.#log.classList.toggle('hide-output', !this.#outputToggle.checked);
      if (this.#stick) this.#log.scrollTop = this.#log.scrollHeight;
    });
    this.el = h(
      'section',
      { class: 'panel log-panel' },
      h(
        'header',
        { class: 'panel-head' },
        h('h2', null, 'Activity'),
        h(
          'label',
          { class: 'toggle', title: 'Show command output, folded under each command' },
          this.#outputToggle,
          'command output',
        ),
      ),
      this.#log,
      this.#jump,
    );
  }

  render(state: ProjectState): void {
    const entries = state.log.entries;
    if (state.log.generation !== this.#generation) {
      this.#generation = state.log.generation;
      this.#reset();
    }
    let start = entries.length;
    while (start > 0 && entries[start - 1]!.id > this.#lastId) start -= 1;
    const fresh = entries.slice(Math.max(start, entries.length - DOM_LIMIT));
    const previousLast = this.#lastId;
    if (fresh.length > 0) {
      const fragment = document.createDocumentFragment();
      for (const entry of fresh) {
        const line = this.#line(state, entry);
        this.#lines.set(entry.id, line);
        fragment.appendChild(line);
      }
      this.#log.appendChild(fragment);
      this.#lastId = fresh[fresh.length - 1]!.id;
      let excess = this.#lines.size - DOM_LIMIT;
      for (const [id, line] of this.#lines) {
        if (excess-- <= 0) break;
        line.remove();
        this.#lines.delete(id);
        this.#outputs.delete(id);
      }
    }
    for (const entry of state.log.changed) {
      if (entry.id <= previousLast && this.#lines.has(entry.id)) this.#updateOutput(entry);
    }
    state.log.changed.clear();
    if (fresh.length > 0) {
      if (this.#stick) this.#log.scrollTop = this.#log.scrollHeight;
      else this.#setUnseen(this.#unseen + fresh.length);
    }
  }

  #reset(): void {
    this.#log.replaceChildren();
    this.#lines.clear();
    this.#outputs.clear();
    this.#lastId = 0;
    this.#stick = true;
    this.#setUnseen(0);
  }

  #setUnseen(n: number): void {
    this.#unseen = n;
    this.#jump.hidden = n === 0;
    setText(this.#jump, `↓ ${plural(n, 'new line')}`);
  }

  #line(state: ProjectState, entry: LogEntry): HTMLElement {
    const record = entry.taskId ? state.tasks.get(entry.taskId) : undefined;
    const icon = entry.kind === 'test' && entry.tone === 'bad' ? '✗' : icons[entry.kind];
    const line = h(
      'div',
      {
        class: 'log-line',
        'data-kind': entry.kind,
        'data-tone': entry.tone,
        'data-seq': entry.seq,
      },
      h('span', { class: 'log-time', title: entry.timestamp }, clockTime(entry.timestamp)),
      entry.taskId
        ? h(
            'button',
            {
              class: 'log-task',
              type: 'button',
              'data-tone': record
                ? taskStatusStyle[record.task.status ?? 'TASK_STATUS_UNSPECIFIED'].tone
                : 'muted',
              title: record?.task.title ?? entry.taskId,
              onclick: () => this.onSelect(entry.taskId),
            },
            state.taskKey(entry.taskId),
          )
        : h('span', { class: 'log-task is-project' }, 'project'),
      h(
        'div',
        { class: 'log-body' },
        h('span', { class: 'log-icon', 'aria-hidden': 'true' }, icon),
        entry.tool ? h('span', { class: 'log-tool' }, entry.tool) : null,
        h('span', { class: 'log-text' }, withoutTool(entry)),
      ),
    );
    const body = line.querySelector('.log-body')!;
    if (entry.detail) {
      const detail = entry.detail;
      const fold = new Fold(() => detail.text);
      fold.label(`${detail.label} · ${plural(countLines(detail.text), 'line')}`);
      body.append(fold.toggle, fold.pre);
    }
    if (entry.output) this.#updateOutput(entry, line);
    return line;
  }

  #updateOutput(entry: LogEntry, line = this.#lines.get(entry.id)): void {
    const output = entry.output;
    if (!output || !line) return;
    let fold = this.#outputs.get(entry.id);
    if (!fold) {
      fold = new Fold(() => entry.output?.text ?? '');
      fold.toggle.classList.add('log-output');
      fold.pre.classList.add('log-output');
      line.querySelector('.log-body')?.append(fold.toggle, fold.pre);
      this.#outputs.set(entry.id, fold);
    }
    fold.label(
      `output · ${plural(countLines(output.text), 'line')}${output.stderr ? ' · stderr' : ''}${output.truncated ? ' · truncated' : ''}`,
    );
    fold.refresh();
  }
}
