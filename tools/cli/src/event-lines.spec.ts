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

  it('prints a check of main after a merge, and says when a red main went back', () => {
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
    const red = create(EventSchema, {
      projectId: 'p',
      seq: 2n,
      payload: {
        case: 'mainVerified',
        value: {
          taskId: 't1',
          passed: false,
          reverted: true,
          summary: 'main is red at abc: 1 failed',
        },
      },
    });
    expect(eventLine(red, state)).toBe(
      'store: ✗ main is red at abc: 1 failed; main moved back to before the merge',
    );
  });
});
