// The task board: one column per group of statuses, cards keyed by task id so that a status
// change moves the existing card instead of rebuilding the board.
import { fill, h, setText } from './dom.js';
import { type ProjectState, statusOf } from './project-state.js';
import type { TaskStatus } from './protocol.js';
import { createCard, renderCard } from './render-task-card.js';
import { boardColumns } from './status-style.js';

interface Column {
  list: HTMLElement;
  count: HTMLElement;
}

const columnOf = new Map<TaskStatus, string>(
  boardColumns.flatMap((c) => c.statuses.map((s) => [s, c.id] as [TaskStatus, string])),
);

export class BoardView {
  readonly el: HTMLElement;
  readonly #columns = new Map<string, Column>();
  readonly #cards = new Map<string, HTMLElement>();
  readonly #empty = h('div', { class: 'board-empty' });
  #emptyKey = '';
  selected: string | undefined;

  constructor(private readonly onSelect: (taskId: string) => void) {
    const columns = boardColumns.map((c) => {
      const list = h('div', { class: 'column-list' });
      const count = h('span', { class: 'column-count' }, '0');
      this.#columns.set(c.id, { list, count });
      return h(
        'section',
        { class: 'column', 'data-column': c.id, 'data-tone': c.tone },
        h(
          'header',
          { class: 'column-head' },
          h('span', { class: 'dot' }),
          h('span', { class: 'column-label', title: c.label }, c.label),
          count,
        ),
        list,
      );
    });
    this.el = h('div', { class: 'board' }, h('div', { class: 'columns' }, columns), this.#empty);
  }

  render(state: ProjectState, rebuild: boolean, changed: Iterable<string>): void {
    if (rebuild) {
      for (const card of this.#cards.values()) card.remove();
      this.#cards.clear();
      const ordered = [...state.tasks.values()].sort((a, b) => a.order - b.order);
      for (const record of ordered) this.#place(state, record.task.id ?? '');
    } else {
      for (const taskId of changed) this.#place(state, taskId);
    }
    for (const { list, count } of this.#columns.values()) {
      setText(count, String(list.childElementCount));
    }
  }

  /** What the board says while it has no task; undefined when it has some. */
  empty(message: { title: string; hint: string } | undefined): void {
    this.el.classList.toggle('is-empty', Boolean(message));
    const key = message ? `${message.title}\n${message.hint}` : '';
    if (this.#emptyKey === key) return;
    this.#emptyKey = key;
    if (message) {
      fill(
        this.#empty,
        h('div', { class: 'empty-title' }, message.title),
        h('div', { class: 'empty-hint' }, message.hint),
      );
    }
  }

  /** Re-renders the selection highlight. */
  select(taskId: string | undefined): void {
    if (this.selected) this.#cards.get(this.selected)?.classList.remove('is-selected');
    this.selected = taskId;
    if (taskId) this.#cards.get(taskId)?.classList.add('is-selected');
  }

  #place(state: ProjectState, taskId: string): void {
    const record = state.tasks.get(taskId);
    let card = this.#cards.get(taskId);
    if (!record) {
      card?.remove();
      this.#cards.delete(taskId);
      return;
    }
    const isNew = !card;
    if (!card) {
      card = createCard(this.onSelect);
      this.#cards.set(taskId, card);
    }
    const before = card.dataset.status;
    renderCard(card, record, state, taskId === this.selected);
    card.dataset.order = String(record.order);
    const columnId = columnOf.get(statusOf(record)) ?? 'pending';
    const column = this.#columns.get(columnId)!;
    if (!isNew && before === card.dataset.status && card.parentElement === column.list) return;
    // Keep plan order within a column.
    let next: Element | null = null;
    for (const other of column.list.children) {
      if (other !== card && Number((other as HTMLElement).dataset.order) > record.order) {
        next = other;
        break;
      }
    }
    column.list.insertBefore(card, next);
    if (!isNew && !card.classList.contains('just-moved')) {
      const moved = card;
      moved.classList.add('just-moved');
      moved.addEventListener('animationend', () => moved.classList.remove('just-moved'), {
        once: true,
      });
    }
  }
}
