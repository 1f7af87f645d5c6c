// Blockers: questions tasks asked a human. Open ones sit at the top with an answer box;
// recently resolved ones stay for a while with their answer. Elements are kept by blocker id
// so that re-rendering never disturbs an answer being typed.
import type { BlockerRecord } from '@codeframe/events/view';
import { h, setData, setText } from './dom.js';
import { clockTime } from './format.js';
import type { ProjectState } from './project-state.js';

const RESOLVED_SHOWN = 3;
/** Answered blockers stay in view this long, then live on in their task's drawer. */
const RESOLVED_FOR_MS = 5 * 60_000;

interface BlockerElements {
  root: HTMLElement;
  status: string;
  textarea?: HTMLTextAreaElement;
  button?: HTMLButtonElement;
  sending?: HTMLElement;
  error: HTMLElement;
}

export class BlockersView {
  readonly el: HTMLElement;
  readonly #list = h('div', { class: 'blockers-list' });
  readonly #title = h('h2');
  readonly #items = new Map<string, BlockerElements>();

  constructor(
    private readonly onAnswer: (blockerId: string, answer: string) => void,
    private readonly onSelect: (taskId: string) => void,
  ) {
    this.el = h(
      'section',
      { class: 'blockers', 'data-testid': 'blockers', hidden: true },
      h('header', { class: 'blockers-head' }, this.#title),
      this.#list,
    );
  }

  render(state: ProjectState, now: number): void {
    const all = [...state.blockers.values()];
    const open = all
      .filter((b) => b.blocker.status !== 'BLOCKER_STATUS_RESOLVED')
      .sort((a, b) => (a.blocker.created_at ?? '').localeCompare(b.blocker.created_at ?? ''));
    const resolved = all
      .filter(
        (b) =>
          b.blocker.status === 'BLOCKER_STATUS_RESOLVED' &&
          b.resolvedAt !== undefined &&
          now - b.resolvedAt < RESOLVED_FOR_MS,
      )
      .sort((a, b) => (b.blocker.resolved_at ?? '').localeCompare(a.blocker.resolved_at ?? ''))
      .slice(0, RESOLVED_SHOWN);
    const shown = [...open, ...resolved];

    const keep = new Set(shown.map((b) => b.blocker.id ?? ''));
    for (const [id, item] of this.#items) {
      if (!keep.has(id)) {
        item.root.remove();
        this.#items.delete(id);
      }
    }
    const roots = shown.map((record) => this.#item(state, record).root);
    const current = [...this.#list.children];
    if (roots.length !== current.length || roots.some((root, i) => current[i] !== root)) {
      // Only move what is out of place: moving a focused textarea would blur it.
      roots.forEach((root, i) => {
        if (this.#list.children[i] !== root)
          this.#list.insertBefore(root, this.#list.children[i] ?? null);
      });
    }
    this.el.hidden = shown.length === 0;
    this.el.classList.toggle('has-open', open.length > 0);
    setText(
      this.#title,
      open.length > 0
        ? open.every((b) => !b.blocker.task_id)
          ? 'The project waits on its budget'
          : `${open.length === 1 ? 'A task needs' : `${open.length} tasks need`} your answer`
        : 'Recently answered',
    );
  }

  #item(state: ProjectState, record: BlockerRecord): BlockerElements {
    const blocker = record.blocker;
    const id = blocker.id ?? '';
    const status = blocker.status ?? 'BLOCKER_STATUS_UNSPECIFIED';
    let item = this.#items.get(id);
    if (!item || item.status !== status) {
      const fresh =
        status === 'BLOCKER_STATUS_RESOLVED'
          ? this.#resolved(state, record)
          : !blocker.task_id
            ? this.#projectWaits(state, record)
            : this.#open(state, record);
      item?.root.replaceWith(fresh.root);
      item = fresh;
      this.#items.set(id, item);
    }
    const answer = state.answer(id);
    setText(item.error, answer.error);
    item.error.hidden = !answer.error;
    if (item.button && item.textarea && item.sending) {
      item.button.disabled = answer.sending;
      item.textarea.readOnly = answer.sending;
      item.sending.hidden = !answer.sending;
    }
    setData(item.root, 'sending', answer.sending ? 'true' : 'false');
    return item;
  }

  #head(state: ProjectState, record: BlockerRecord, label: string, time: string): HTMLElement {
    const taskId = record.blocker.task_id ?? '';
    const task = state.tasks.get(taskId);
    // A project's own blocker (its budget is spent) belongs to no task.
    const about = taskId
      ? h(
          'button',
          { class: 'link blocker-task', type: 'button', onclick: () => this.onSelect(taskId) },
          h('span', { class: 'mono' }, state.taskKey(taskId)),
          task?.task.title ? ` · ${task.task.title}` : '',
        )
      : h('span', { class: 'blocker-task' }, 'project');
    return h(
      'div',
      { class: 'blocker-head' },
      h(
        'span',
        {
          class: 'badge',
          'data-tone': record.blocker.status === 'BLOCKER_STATUS_RESOLVED' ? 'ok' : 'warn',
        },
        label,
      ),
      about,
      h('span', { class: 'blocker-time' }, time),
    );
  }

  #open(state: ProjectState, record: BlockerRecord): BlockerElements {
    const blocker = record.blocker;
    const id = blocker.id ?? '';
    const textarea = h('textarea', {
      'data-testid': 'blocker-answer',
      rows: '2',
      placeholder: 'Your answer unblocks the task… (Ctrl+Enter sends)',
      'aria-label': 'Answer',
    });
    const button = h(
      'button',
      { class: 'primary', type: 'button', 'data-testid': 'blocker-submit' },
      'Answer',
    );
    const sending = h('span', { class: 'blocker-sending', hidden: true }, 'sending…');
    const error = h('div', {
      class: 'blocker-error',
      'data-testid': 'blocker-error',
      role: 'alert',
      hidden: true,
    });
    const submit = () => this.onAnswer(id, textarea.value);
    button.addEventListener('click', submit);
    textarea.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        submit();
      }
    });
    const root = h(
      'div',
      {
        class: 'blocker',
        'data-testid': 'blocker',
        'data-blocker-id': id,
        'data-status': blocker.status ?? '',
        'data-tone': 'warn',
      },
      this.#head(state, record, 'question', `asked ${clockTime(blocker.created_at)}`),
      h('div', { class: 'blocker-question' }, blocker.question ?? ''),
      h(
        'div',
        { class: 'blocker-form' },
        textarea,
        h('div', { class: 'blocker-actions' }, button, sending),
      ),
      error,
    );
    return { root, status: blocker.status ?? '', textarea, button, sending, error };
  }

  /** The project waits on its spent budget: no answer box, the command that raises it. */
  #projectWaits(state: ProjectState, record: BlockerRecord): BlockerElements {
    const blocker = record.blocker;
    const error = h('div', { class: 'blocker-error', role: 'alert', hidden: true });
    const root = h(
      'div',
      {
        class: 'blocker',
        'data-testid': 'blocker',
        'data-blocker-id': blocker.id ?? '',
        'data-status': blocker.status ?? '',
        'data-tone': 'warn',
      },
      this.#head(state, record, 'waiting', `since ${clockTime(blocker.created_at)}`),
      h('div', { class: 'blocker-question' }, blocker.question ?? ''),
      h(
        'div',
        { class: 'blocker-hint' },
        'Raise the budget: ',
        h('code', {}, `codeframe budget ${blocker.project_id ?? ''} <usd>`),
      ),
      error,
    );
    return { root, status: blocker.status ?? '', error };
  }

  #resolved(state: ProjectState, record: BlockerRecord): BlockerElements {
    const blocker = record.blocker;
    const error = h('div', {
      class: 'blocker-error',
      'data-testid': 'blocker-error',
      role: 'alert',
      hidden: true,
    });
    const root = h(
      'div',
      {
        class: 'blocker is-resolved',
        'data-testid': 'blocker',
        'data-blocker-id': blocker.id ?? '',
        'data-status': blocker.status ?? '',
        'data-tone': 'ok',
      },
      this.#head(state, record, 'answered', `answered ${clockTime(blocker.resolved_at)}`),
      h('div', { class: 'blocker-question' }, blocker.question ?? ''),
      h(
        'div',
        { class: 'blocker-answer-text' },
        h('span', { class: 'arrow' }, '↳ '),
        blocker.answer ?? '',
      ),
      error,
    );
    return { root, status: blocker.status ?? '', error };
  }
}
