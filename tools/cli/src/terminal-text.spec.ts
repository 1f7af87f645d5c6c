// Text from the model or from another client reaches the terminal escaped: a blocker
// question, a task key or a summary cannot clear the screen, retitle the window or move
// the cursor.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { type BrowserEvent, ProjectView, toBrowserEvent } from '@codeframe/events';
import { AgentState, EventSchema, TaskKind, TaskStatus } from '@codeframe/proto';
import { describe, expect, it, vi } from 'vitest';
import { jsonLine, printable, table } from './format.js';
import { runSummary } from './run-summary.js';
import { JsonView, PlainView, TerminalView } from './run-views.js';

const CLEAR = '\x1b[2J';
const TITLE = '\x1b]0;pwned\x07';
const CSI8 = '\u009b31m';

let seq = 0n;
const event = (payload: MessageInitShape<typeof EventSchema>['payload']): BrowserEvent =>
  toBrowserEvent(create(EventSchema, { projectId: 'p', seq: ++seq, payload }));

const hostile = [
  event({
    case: 'planReady',
    value: { tasks: [{ id: 't1', key: `key${CLEAR}`, title: 'T', kind: TaskKind.BACKEND }] },
  }),
  event({ case: 'taskAssigned', value: { taskId: 't1', worker: `w${TITLE}`, attempt: 1 } }),
  event({
    case: 'taskStatusChanged',
    value: { taskId: 't1', from: TaskStatus.ASSIGNED, to: TaskStatus.IN_PROGRESS },
  }),
  event({
    case: 'agentStatusChanged',
    value: { taskId: 't1', state: AgentState.THINKING, detail: `editing${CSI8}` },
  }),
  event({
    case: 'blockerCreated',
    value: {
      blocker: {
        id: 'b1',
        taskId: 't1',
        question: `Which database?${CLEAR}\nPostgres or SQLite?\r\u007f`,
      },
    },
  }),
  event({
    case: 'taskStatusChanged',
    value: {
      taskId: 't1',
      from: TaskStatus.IN_PROGRESS,
      to: TaskStatus.FAILED,
      reason: `no${TITLE}`,
    },
  }),
];

/** The first raw control character but a new line, or undefined. */
const rawControl = (text: string) =>
  [...text].find((c) => c !== '\n' && (c < ' ' || (c >= '\u007f' && c <= '\u009f')));

function play(
  view: { event(e: BrowserEvent, s: ProjectView): void },
  events = hostile,
): ProjectView {
  const state = new ProjectView();
  for (const e of events) {
    state.apply(e);
    view.event(e, state);
  }
  return state;
}

describe('printable', () => {
  it('escapes C0, DEL and C1 controls, keeping new lines only in multi-line text', () => {
    expect(printable(`a${CLEAR}b`)).toBe('a\\x1b[2Jb');
    expect(printable(`x\u0000\u007f\u009b\ty\r\nz`)).toBe('x\\x00\\x7f\\x9b\\ty\\r\\nz');
    expect(printable('line 1\nline 2', { multiline: true })).toBe('line 1\nline 2');
    expect(printable('ünïcödé ✓ — fine')).toBe('ünïcödé ✓ — fine');
  });

  it('leaves JSON lines valid and free of raw controls', () => {
    const line = jsonLine({ message: `m${CSI8}\u007f${CLEAR}` });
    expect(rawControl(line)).toBeUndefined();
    expect(JSON.parse(line)).toEqual({ message: `m${CSI8}\u007f${CLEAR}` });
  });
});

describe('every printer', () => {
  it('prints the log of a run escaped, the question on its own lines', () => {
    let output = '';
    play(new PlainView((t) => (output += t)));
    expect(rawControl(output)).toBeUndefined();
    expect(output).toContain(
      'key\\x1b[2J asks: Which database?\\x1b[2J\nPostgres or SQLite?\\r\\x7f',
    );
    expect(output).toContain('assigned to w\\x1b]0;pwned\\x07');
    expect(output).toContain('failed: no\\x1b]0;pwned\\x07');
  });

  it('draws the live block escaped, with only its own cursor movements', () => {
    vi.useFakeTimers();
    let output = '';
    const view = new TerminalView(
      (t) => (output += t),
      `title${CLEAR}`,
      () => 200,
    );
    // While the task runs: its key, worker and step are in the block.
    const state = play(view, hostile.slice(0, 4));
    vi.advanceTimersByTime(100);
    view.close(state);
    vi.useRealTimers();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the view's own redraw escapes
    const own = output.replace(/\x1b\[\d+F\x1b\[J/g, '');
    expect(rawControl(own)).toBeUndefined();
    expect(own).toContain('title\\x1b[2J');
    expect(own).toContain('editing\\x9b31m');
  });

  it('prints JSON events without raw controls', () => {
    let output = '';
    play(new JsonView((t) => (output += t)));
    expect(rawControl(output)).toBeUndefined();
    expect(output).toContain('\\u001b[2J');
    expect(output).toContain('\\u009b31m');
  });

  it('prints tables and the summary escaped', () => {
    expect(table([['key'], [`a${CLEAR}`]])).toBe('key\na\\x1b[2J');
    const summary = runSummary(play({ event() {} }), 1000);
    expect(rawControl(summary)).toBeUndefined();
    expect(summary).toContain('key\\x1b[2J');
  });
});

describe('the live block by display width', () => {
  it('fits every line to the terminal with wide characters, emoji and combining marks', async () => {
    const { default: stringWidth } = await import('string-width');
    vi.useFakeTimers();
    let output = '';
    const columns = 50;
    const view = new TerminalView(
      (t) => (output += t),
      '漢字のプロジェクト 🚀🚀',
      () => columns,
    );
    const wide = [
      event({
        case: 'planReady',
        value: { tasks: [{ id: 'w1', key: '数据库迁移', title: 'T', kind: TaskKind.BACKEND }] },
      }),
      event({ case: 'taskAssigned', value: { taskId: 'w1', worker: 'ワーカー', attempt: 1 } }),
      event({
        case: 'taskStatusChanged',
        value: { taskId: 'w1', from: TaskStatus.ASSIGNED, to: TaskStatus.IN_PROGRESS },
      }),
      event({
        case: 'agentStatusChanged',
        value: {
          taskId: 'w1',
          state: AgentState.THINKING,
          detail: `編集中 👩‍👩‍👧‍👦 ${'e\u0301'.repeat(40)} 테스트를 실행하는 중입니다`,
        },
      }),
    ];
    const state = play(view, wide);
    vi.advanceTimersByTime(100);
    view.close(state);
    vi.useRealTimers();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the view's own redraw escapes
    const lines = output.replace(/\x1b\[\d+F\x1b\[J/g, '').split('\n');
    const block = lines.filter((l) => l.startsWith('  ▸') || l.startsWith('漢字'));
    expect(block.some((l) => l.includes('数据库迁移'))).toBe(true);
    for (const line of block) expect(stringWidth(line)).toBeLessThanOrEqual(columns);
    // Cut between graphemes: no family emoji or accent split in half.
    expect(block.join('\n')).not.toMatch(/\u200d…|\u0301…/);
  });

  it('aligns table columns by display width', async () => {
    const { default: stringWidth } = await import('string-width');
    const rows = table([
      ['key', 'status'],
      ['数据', 'ok'],
      ['ab', 'ok'],
    ]).split('\n');
    const column = (row: string) => stringWidth(row.slice(0, row.indexOf('ok')));
    expect(column(rows[1]!)).toBe(column(rows[2]!));
  });
});
