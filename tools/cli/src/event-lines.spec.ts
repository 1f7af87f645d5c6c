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

  it('prints a task unblocked by its key', () => {
    const state = new RunState();
    state.apply(
      create(EventSchema, {
        projectId: 'p',
        seq: 1n,
        payload: {
          case: 'planReady',
          value: { tasks: [{ id: 't2', key: 'after', title: 'After', kind: TaskKind.BACKEND }] },
        },
      }),
    );
    const unblocked = create(EventSchema, {
      projectId: 'p',
      seq: 2n,
      payload: { case: 'taskUnblocked', value: { taskId: 't2' } },
    });
    expect(eventLine(unblocked, state)).toBe('after: unblocked, ready to start');
  });

  it('prints a review verdict with its comments, escaped', () => {
    const state = new RunState();
    state.apply(
      create(EventSchema, {
        projectId: 'p',
        seq: 1n,
        payload: {
          case: 'planReady',
          value: { tasks: [{ id: 't1', key: 'cli', title: 'CLI', kind: TaskKind.BACKEND }] },
        },
      }),
    );
    const review = (approved: boolean, comments: { path: string; line: number; body: string }[]) =>
      create(EventSchema, {
        projectId: 'p',
        seq: 2n,
        payload: {
          case: 'reviewCompleted',
          value: {
            taskId: 't1',
            attempt: approved ? 2 : 1,
            approved,
            summary: 'Untested.',
            comments,
          },
        },
      });
    expect(
      eventLine(
        review(false, [
          { path: 'bin/cli.js', line: 3, body: 'add a test\u001b[31m' },
          { path: 'README.md', line: 0, body: 'say how to run it' },
        ]),
        state,
      ),
    ).toBe(
      'cli: review of attempt 1: ✗ changes requested: Untested.\n    bin/cli.js:3: add a test\\x1b[31m\n    README.md: say how to run it',
    );
    expect(eventLine(review(true, []), state)).toBe(
      'cli: review of attempt 2: ✓ approved: Untested.',
    );
  });
});
