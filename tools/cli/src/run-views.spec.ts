import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { type BrowserEvent, ProjectView, toBrowserEvent } from '@codeframe/events';
import { AgentState, EventSchema, TaskKind, TaskStatus } from '@codeframe/proto';
import { describe, expect, it, vi } from 'vitest';
import { PlainView, type RunView, TerminalView } from './run-views.js';

let seq = 0n;
const event = (payload: MessageInitShape<typeof EventSchema>['payload']): BrowserEvent =>
  toBrowserEvent(create(EventSchema, { projectId: 'p', seq: ++seq, payload }));

const plan = event({
  case: 'planReady',
  value: {
    tasks: [
      { id: 't1', key: 'store', title: 'Store', kind: TaskKind.BACKEND },
      { id: 't2', key: 'page', title: 'Page', kind: TaskKind.FRONTEND },
    ],
  },
});
const running = [
  event({ case: 'taskAssigned', value: { taskId: 't1', worker: '127.0.0.1:7101', attempt: 1 } }),
  event({
    case: 'taskStatusChanged',
    value: { taskId: 't1', from: TaskStatus.ASSIGNED, to: TaskStatus.IN_PROGRESS },
  }),
  event({
    case: 'agentStatusChanged',
    value: { taskId: 't1', state: AgentState.TESTING, detail: 'running the tests' },
  }),
  event({
    case: 'taskStatusChanged',
    value: { taskId: 't2', from: TaskStatus.IN_PROGRESS, to: TaskStatus.COMPLETED, reason: 'done' },
  }),
];

function play(view: RunView, between = () => {}): ProjectView {
  const state = new ProjectView();
  for (const e of [plan, ...running]) {
    state.apply(e);
    view.event(e, state);
    between();
  }
  return state;
}

describe('the views of a run', () => {
  it('in a terminal: event lines above a live block of progress and running tasks', () => {
    vi.useFakeTimers();
    let output = '';
    const view = new TerminalView(
      (text) => (output += text),
      'Demo',
      () => 120,
    );
    view.close(play(view, () => vi.advanceTimersByTime(100)));
    vi.useRealTimers();
    expect(output).toMatch(/plan ready: 2 tasks \(store, page\)/);
    expect(output).toMatch(/page: completed: done/);
    expect(output).toMatch(/Demo {2}█{10}░{10} 1\/2 done/);
    expect(output).toMatch(
      /▸ store +backend@127\.0\.0\.1:7101 +attempt 1 +testing: running the tests/,
    );
    // The live block is redrawn in place: cursor up over the lines drawn, then clear.
    expect(output).toContain('\x1b[2F\x1b[J');
  });

  it('outside a terminal: timestamped lines, no control characters', () => {
    let output = '';
    const view: RunView = new PlainView((text) => (output += text));
    view.close(play(view));
    const lines = output.trim().split('\n');
    expect(lines.every((l) => /^\d\d:\d\d:\d\d /.test(l))).toBe(true);
    expect(output).not.toContain('\x1b');
    expect(lines).toHaveLength(4);
  });
});
