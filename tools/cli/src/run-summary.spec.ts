import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { type BrowserEvent, ProjectView, toBrowserEvent } from '@codeframe/events';
import { EventSchema, ProjectStatus, TaskKind } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { runSummary, runSummaryJson } from './run-summary.js';

let seq = 0n;
const event = (payload: MessageInitShape<typeof EventSchema>['payload']): BrowserEvent =>
  toBrowserEvent(create(EventSchema, { projectId: 'p', seq: ++seq, payload }));

const call = (taskId: string, input: number, read: number, written: number) =>
  event({
    case: 'tokenUsage',
    value: {
      taskId,
      model: 'm',
      call: {
        inputTokens: BigInt(input),
        cacheReadInputTokens: BigInt(read),
        cacheCreationInputTokens: BigInt(written),
        outputTokens: 50n,
        costUsd: 0.01,
        calls: 1,
      },
    },
  });

describe('the run summary', () => {
  it('counts every input token, the cached ones too, and says how many went through the cache', () => {
    const state = new ProjectView();
    state.apply(
      event({
        case: 'planReady',
        value: { tasks: [{ id: 't1', key: 'api', title: 'API', kind: TaskKind.BACKEND }] },
      }),
    );
    // Planning (no task), then two turns of the task: the second reads the first's prefix.
    state.apply(call('', 100, 0, 0));
    state.apply(call('t1', 0, 0, 1_200));
    state.apply(call('t1', 100, 1_200, 300));
    const summary = runSummary(state, 1_000);
    expect(summary).toContain('tokens 2.9k in (2.7k cached) / 150 out');
    // The task's row: 2,800 input and 100 output tokens.
    expect(summary).toMatch(/api\s+backend\s+.*2\.9k\s+\$0\.020/);
    const json = runSummaryJson(state, 1_000);
    expect(json.tasks[0]).toMatchObject({
      input_tokens: 100,
      cache_read_input_tokens: 1_200,
      cache_creation_input_tokens: 1_500,
    });
  });

  it('says how main was checked after merges and that the final main is green, with the counts', () => {
    const state = new ProjectView();
    const tests = { passed: 1, failed: 1 };
    state.apply(event({ case: 'mainVerified', value: { taskId: 't1', passed: true } }));
    state.apply(
      event({
        case: 'mainVerified',
        value: { taskId: 't2', passed: false, reverted: true, tests },
      }),
    );
    state.apply(event({ case: 'mainVerified', value: { taskId: 't2', passed: true } }));
    const main = { commitSha: 'abcdef1234567890', passed: true, tests: { passed: 3, failed: 0 } };
    state.apply(
      event({
        case: 'projectStatus',
        value: { status: ProjectStatus.COMPLETED, reason: 'done', main },
      }),
    );
    expect(runSummary(state, 1_000)).toContain(
      'main checked after 3 merges, 1 red and taken out · final main abcdef123456 green on a fresh checkout (3 passed, 0 failed)',
    );
    expect(runSummaryJson(state, 1_000).main).toEqual({
      sha: 'abcdef1234567890',
      passed: true,
      tests: { passed: 3, failed: 0 },
      checks: 3,
      reverted: 1,
    });
  });

  it('says nothing of main when it was not verified', () => {
    expect(runSummary(new ProjectView(), 1_000)).not.toContain('main checked');
  });
});
