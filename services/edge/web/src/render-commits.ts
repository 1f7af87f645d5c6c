// Commits, newest first: worker commits on task branches and the lead's merges into main.
import { isMerge } from '@codeframe/events/view';
import { fill, h } from './dom.js';
import { clockTime, plural, shortSha } from './format.js';
import type { ProjectState } from './project-state.js';

const SHOWN = 100;

export class CommitsView {
  readonly el: HTMLElement;
  readonly #list = h('div', { class: 'commits-list' });
  readonly #count = h('span', { class: 'panel-count' });

  constructor(private readonly onSelect: (taskId: string) => void) {
    this.el = h(
      'section',
      { class: 'panel commits', 'data-testid': 'commits' },
      h('header', { class: 'panel-head' }, h('h2', null, 'Commits'), this.#count),
      this.#list,
    );
  }

  render(state: ProjectState): void {
    const commits = state.commits;
    this.#count.textContent = commits.length ? String(commits.length) : '';
    if (commits.length === 0) {
      fill(this.#list, h('div', { class: 'panel-empty' }, 'No commits yet.'));
      return;
    }
    fill(
      this.#list,
      commits
        .slice(-SHOWN)
        .reverse()
        .map((commit) => {
          const merge = isMerge(commit);
          return h(
            'div',
            {
              class: 'commit-row',
              'data-testid': 'commit',
              'data-sha': commit.sha,
              'data-tone': merge ? 'ok' : 'neutral',
              role: 'button',
              tabindex: '0',
              title: `${commit.sha} on ${commit.branch}\n${commit.message}\n\n${(commit.files ?? []).join('\n')}`,
              onclick: () => this.onSelect(commit.taskId),
            },
            h(
              'div',
              { class: 'commit-line' },
              h('span', { class: 'sha' }, shortSha(commit.sha)),
              h(
                'span',
                { class: 'badge', 'data-tone': merge ? 'ok' : 'neutral' },
                merge ? 'merge' : 'commit',
              ),
              h('span', { class: 'commit-task' }, state.taskKey(commit.taskId)),
              h('span', { class: 'commit-time' }, clockTime(commit.timestamp)),
            ),
            h(
              'div',
              { class: 'commit-sub' },
              h('span', { class: 'commit-message' }, commit.message.split('\n')[0]),
              commit.files
                ? h('span', { class: 'commit-files' }, plural(commit.files.length, 'file'))
                : null,
            ),
          );
        }),
    );
  }
}
