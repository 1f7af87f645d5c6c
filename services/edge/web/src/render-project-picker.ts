// The project picker: a compact list of the projects the token can see, with status and
// progress, opened from the project name in the header.
import { fill, h } from './dom.js';
import { ago } from './format.js';
import type { Project } from './protocol.js';
import { projectStatusStyle } from './status-style.js';

export class ProjectPicker {
  readonly el: HTMLElement;
  readonly #list = h('div', { class: 'picker-list' });
  #open = false;

  constructor(
    private readonly onPick: (projectId: string) => void,
    private readonly onRefresh: () => void,
  ) {
    this.el = h(
      'div',
      {
        class: 'picker',
        'data-testid': 'project-picker',
        hidden: true,
        role: 'dialog',
        'aria-label': 'Projects',
      },
      h(
        'header',
        { class: 'panel-head' },
        h('h2', null, 'Projects'),
        h('button', { class: 'link', type: 'button', onclick: () => this.onRefresh() }, 'refresh'),
      ),
      this.#list,
    );
    document.addEventListener('pointerdown', (event) => {
      const target = event.target as Element;
      if (this.#open && !this.el.contains(target) && !target.closest('.project-name')) this.close();
    });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  show(): void {
    this.#open = true;
    this.el.hidden = false;
  }

  close(): void {
    this.#open = false;
    this.el.hidden = true;
  }

  loading(): void {
    fill(this.#list, h('div', { class: 'panel-empty' }, 'Loading projects…'));
  }

  failed(message: string): void {
    fill(this.#list, h('div', { class: 'panel-empty', 'data-tone': 'bad' }, message));
  }

  render(projects: Project[], current: string | undefined, now: number): void {
    if (projects.length === 0) {
      fill(
        this.#list,
        h(
          'div',
          { class: 'panel-empty' },
          'No projects yet. Create one with the codeframe CLI, then come back.',
        ),
      );
      return;
    }
    const sorted = [...projects].sort((a, b) =>
      (b.created_at ?? '').localeCompare(a.created_at ?? ''),
    );
    fill(
      this.#list,
      sorted.map((project) => {
        const status = project.status ?? 'PROJECT_STATUS_UNSPECIFIED';
        const style = projectStatusStyle[status];
        const total = project.task_count ?? 0;
        const done = project.completed_task_count ?? 0;
        const failed = project.failed_task_count ?? 0;
        const created = Date.parse(project.created_at ?? '');
        return h(
          'button',
          {
            class: `picker-row${project.id === current ? ' is-current' : ''}`,
            type: 'button',
            'data-project-id': project.id ?? '',
            onclick: () => this.onPick(project.id ?? ''),
          },
          h('span', { class: 'picker-name' }, project.name || project.id),
          h('span', { class: 'pill', 'data-tone': style.tone }, style.label),
          h(
            'span',
            {
              class: 'picker-progress',
              title: `${done} of ${total} tasks completed, ${failed} failed`,
            },
            h(
              'span',
              { class: 'mini-bar' },
              h('span', {
                class: 'seg',
                'data-tone': 'ok',
                style: `width:${total ? (100 * done) / total : 0}%`,
              }),
              h('span', {
                class: 'seg',
                'data-tone': 'bad',
                style: `width:${total ? (100 * failed) / total : 0}%`,
              }),
            ),
            total ? `${done}/${total}` : '—',
          ),
          h(
            'span',
            { class: 'picker-age' },
            Number.isNaN(created) ? '' : `${ago(now - created)} ago`,
          ),
        );
      }),
    );
  }
}

/** The project to show when the URL names none: the newest running one, else the newest. */
export function defaultProject(projects: Project[]): Project | undefined {
  const newest = [...projects].sort((a, b) =>
    (b.created_at ?? '').localeCompare(a.created_at ?? ''),
  );
  return newest.find((p) => p.status === 'PROJECT_STATUS_RUNNING') ?? newest[0];
}
