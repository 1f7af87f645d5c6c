// The agents panel: one row per agent at work, what it is doing and for how long.
import { type AgentRecord, isTaskFinished } from '@codeframe/events/view';
import { fill, h, setText } from './dom.js';
import { ago } from './format.js';
import type { ProjectState } from './project-state.js';
import { agentStateStyle } from './status-style.js';

const RESTING = new Set(['AGENT_STATE_DONE', 'AGENT_STATE_IDLE', 'AGENT_STATE_UNSPECIFIED']);

export class AgentsView {
  readonly el: HTMLElement;
  readonly #list = h('div', { class: 'agents-list' });
  readonly #count = h('span', { class: 'panel-count' });
  /** The "for how long" cells, updated in place every second. */
  #since: [HTMLElement, number][] = [];

  constructor(private readonly onSelect: (taskId: string) => void) {
    this.el = h(
      'section',
      { class: 'panel agents', 'data-testid': 'agents' },
      h('header', { class: 'panel-head' }, h('h2', null, 'Agents'), this.#count),
      this.#list,
    );
  }

  /** Refreshes only the durations (once a second). */
  tick(now: number): void {
    for (const [el, since] of this.#since) setText(el, ago(now - since));
  }

  #sinceCell(since: number, now: number): HTMLElement {
    const el = h('span', { class: 'agent-since', title: 'in this state for' }, ago(now - since));
    this.#since.push([el, since]);
    return el;
  }

  render(state: ProjectState, now: number): void {
    this.#since = [];
    const active: AgentRecord[] = [];
    for (const agent of state.agents.values()) {
      const task = state.tasks.get(agent.taskId);
      if (RESTING.has(agent.state) || (task && isTaskFinished(task.task.status))) continue;
      active.push(agent);
    }
    active.sort((a, b) => a.agentId.localeCompare(b.agentId) || a.since - b.since);
    this.#count.textContent = active.length ? String(active.length) : '';
    if (active.length === 0) {
      fill(this.#list, h('div', { class: 'panel-empty' }, 'No agent is working right now.'));
      return;
    }
    fill(
      this.#list,
      active.map((agent) => {
        const style = agentStateStyle[agent.state];
        const task = state.tasks.get(agent.taskId);
        return h(
          'div',
          {
            class: 'agent-row',
            'data-testid': 'agent',
            'data-agent-id': agent.agentId,
            'data-task-id': agent.taskId,
            'data-state': agent.state,
            'data-tone': style.tone,
            role: 'button',
            tabindex: '0',
            onclick: () => this.onSelect(agent.taskId),
          },
          h(
            'div',
            { class: 'agent-line' },
            h('span', { class: 'dot' }),
            h('span', { class: 'agent-state' }, style.label),
            h(
              'span',
              { class: 'agent-task', title: task?.task.title ?? '' },
              state.taskKey(agent.taskId),
            ),
            this.#sinceCell(agent.since, now),
          ),
          h(
            'div',
            { class: 'agent-sub' },
            h('span', { class: 'agent-detail', title: agent.detail }, agent.detail || '—'),
            h('span', { class: 'agent-id', title: agent.agentId }, agent.agentId),
          ),
        );
      }),
    );
  }
}
