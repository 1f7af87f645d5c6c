import { create } from '@bufbuild/protobuf';
import { EventSchema, TaskKind } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { eventLine } from './event-lines.js';
import { RunState } from './run-state.js';

describe('eventLine', () => {
  it('prints a compaction of a task conversation with its tokens before and after', () => {
    const state = new RunState();
    state.apply(
      create(EventSchema, {
        projectId: 'p',
        seq: 1n,
        payload: {
          case: 'planReady',
          value: { tasks: [{ id: 't1', key: 'store', title: 'Store', kind: TaskKind.BACKEND }] },
        },
      }),
    );
    const compacted = create(EventSchema, {
      projectId: 'p',
      seq: 2n,
      payload: {
        case: 'contextCompacted',
        value: {
          taskId: 't1',
          tokensBefore: 141_000n,
          tokensAfter: 4_200n,
          reason: "the context reached 70% of the model's 200000-token window",
        },
      },
    });
    expect(eventLine(compacted, state)).toBe(
      "store: conversation compacted, about 141000 → 4200 tokens (the context reached 70% of the model's 200000-token window)",
    );
  });

  it('prints a browser check: its findings when it failed, the command that saves its screenshot', () => {
    const state = new RunState();
    state.apply(
      create(EventSchema, {
        projectId: 'p',
        seq: 1n,
        payload: {
          case: 'planReady',
          value: { tasks: [{ id: 't1', key: 'page', title: 'Page', kind: TaskKind.FRONTEND }] },
        },
      }),
    );
    const check = (value: object) =>
      eventLine(
        create(EventSchema, {
          projectId: 'p',
          seq: 2n,
          payload: { case: 'browserCheck', value: { taskId: 't1', ...value } },
        }),
        state,
      );
    expect(
      check({
        consoleErrors: ['uncaught TypeError: x is null', 'boom'],
        missing: ['#greeting'],
        screenshot: 't1/1-0-screenshot.png',
      }),
    ).toBe(
      'page: ✗ page failed its browser check: 2 console errors (uncaught TypeError: x is null); missing #greeting\n    screenshot: codeframe artifact t1/1-0-screenshot.png',
    );
    expect(check({ passed: true, screenshot: 't1/1-1-screenshot.png' })).toBe(
      'page: ✓ page checked in Chromium\n    screenshot: codeframe artifact t1/1-1-screenshot.png',
    );
  });
});
