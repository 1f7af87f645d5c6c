import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { ProjectView, toBrowserEvent } from '@codeframe/events';
import { EventSchema, TaskKind } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { eventLine } from './event-lines.js';

/** An event as the CLI folds and prints it: in the browser's shape. */
const browser = (init: MessageInitShape<typeof EventSchema>) =>
  toBrowserEvent(create(EventSchema, init));

/** A run's view after a plan of one task `t1` with `key`. */
function planned(key: string, kind = TaskKind.BACKEND): ProjectView {
  const state = new ProjectView();
  state.apply(
    browser({
      projectId: 'p',
      seq: 1n,
      payload: {
        case: 'planReady',
        value: { tasks: [{ id: 't1', key, title: key, kind }] },
      },
    }),
  );
  return state;
}

describe('eventLine', () => {
  it('prints a compaction of a task conversation with its tokens before and after', () => {
    const state = planned('store');
    const compacted = browser({
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

  it('prints a correction without naming what failed: the line before it does', () => {
    const correction = browser({
      projectId: 'p',
      seq: 2n,
      payload: {
        case: 'correctionAttempt',
        value: { taskId: 't1', attempt: 1, maxAttempts: 3, failure: 'lint: uses var' },
      },
    });
    expect(eventLine(correction, planned('math'))).toBe(
      'math: correcting what failed above (attempt 1 of 3)',
    );
  });

  it('prints a task unblocked by its key', () => {
    const state = planned('after');
    const unblocked = browser({
      projectId: 'p',
      seq: 2n,
      payload: { case: 'taskUnblocked', value: { taskId: 't1' } },
    });
    expect(eventLine(unblocked, state)).toBe('after: unblocked, ready to start');
  });

  it('prints a review verdict with its comments, escaped', () => {
    const state = planned('cli');
    const review = (approved: boolean, comments: { path: string; line: number; body: string }[]) =>
      browser({
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

  it('prints a quality gate: passed, or failed with the start of its output', () => {
    const state = planned('math');
    const gate = (passed: boolean, summary: string) =>
      browser({
        projectId: 'p',
        seq: 2n,
        payload: {
          case: 'qualityGate',
          value: { taskId: 't1', name: 'lint', command: 'npm run lint', passed, summary },
        },
      });
    expect(eventLine(gate(false, 'exit code 1\nmath.js:2: uses var\nmore'), state)).toBe(
      'math: ✗ lint failed (npm run lint): exit code 1 math.js:2: uses var',
    );
    expect(eventLine(gate(true, 'exit code 0'), state)).toBe('math: ✓ lint passed (npm run lint)');
  });

  it('prints a browser check: its findings when it failed, the command that saves its screenshot', () => {
    const state = planned('page', TaskKind.FRONTEND);
    const check = (value: object) =>
      eventLine(
        browser({
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

  it('prints the check of a merge, and says when a red merge was taken out', () => {
    const state = planned('store');
    const red = browser({
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
      'store: ✗ main is red at abc: 1 failed; the merge was taken out: main stays before it',
    );
  });
});
