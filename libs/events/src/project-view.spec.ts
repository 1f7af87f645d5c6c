import { allInputTokens } from '@codeframe/proto/usage';
import { describe, expect, it } from 'vitest';
import type { BrowserEvent, BrowserSnapshot, BrowserTask } from './browser-protocol.js';
import { ProjectView } from './project-view.js';

type Payload = BrowserEvent extends infer E
  ? E extends BrowserEvent
    ? Omit<E, 'project_id' | 'seq' | 'timestamp'>
    : never
  : never;

let seq = 0;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const event = (payload: Payload): BrowserEvent =>
  ({ project_id: 'p', seq: ++seq, timestamp: at(seq), ...payload }) as BrowserEvent;

const task = (id: string, more: Partial<BrowserTask> = {}): BrowserTask => ({
  id,
  key: `key-${id}`,
  title: `Task ${id}`,
  status: 'TASK_STATUS_PENDING',
  ...more,
});

const planned = (...tasks: BrowserTask[]) => {
  const view = new ProjectView({ now: () => 42 });
  view.apply(event({ type: 'plan_ready', tasks }));
  return view;
};

const call = (task_id: string, input: number, read: number, written: number, output = 10) =>
  event({
    type: 'token_usage',
    task_id,
    call: {
      input_tokens: String(input),
      cache_read_input_tokens: String(read),
      cache_creation_input_tokens: String(written),
      output_tokens: String(output),
      cost_usd: 0.01,
      calls: 1,
    },
  });

describe('ProjectView', () => {
  it('follows a task through its attempt: worker, agent, tests, correction, commit and merge', () => {
    const view = planned(task('t1'), task('t2', { depends_on: ['t1'] }));
    view.apply(event({ type: 'task_assigned', task_id: 't1', worker: 'w1', attempt: 1 }));
    view.apply(
      event({ type: 'task_status_changed', task_id: 't1', to: 'TASK_STATUS_IN_PROGRESS' }),
    );
    const agent = event({
      type: 'agent_status_changed',
      task_id: 't1',
      agent_id: 'a',
      state: 'AGENT_STATE_TESTING',
    });
    view.apply(agent);
    view.apply(event({ type: 'test_result', task_id: 't1', summary: { passed: 1, failed: 1 } }));
    view.apply(
      event({
        type: 'correction_attempt',
        task_id: 't1',
        attempt: 1,
        max_attempts: 3,
        failure: 'x',
      }),
    );
    view.apply(event({ type: 'test_result', task_id: 't1', attempt: 1, summary: { passed: 2 } }));
    view.apply(event({ type: 'commit_created', task_id: 't1', sha: 'c1', branch: 'task/t1' }));
    view.apply(event({ type: 'commit_created', task_id: 't1', sha: 'm1', branch: 'main' }));
    view.apply(event({ type: 'commit_created', task_id: 'gone', sha: 'c2', branch: 'task/x' }));

    const t1 = view.tasks.get('t1')!;
    expect(t1.task).toMatchObject({ worker: 'w1', attempt: 1, commit_sha: 'c1', merge_sha: 'm1' });
    expect(t1.task.tests).toEqual({ passed: 2 });
    expect(t1.tests).toHaveLength(2);
    expect(t1.corrections).toMatchObject([{ attempt: 1, maxAttempts: 3, failure: 'x' }]);
    expect(t1.agent).toMatchObject({
      state: 'AGENT_STATE_TESTING',
      since: Date.parse(agent.timestamp),
    });
    expect(t1.commits.map((c) => c.sha)).toEqual(['c1', 'm1']);
    // A commit of a task not in the plan still counts; only merges into main are merges.
    expect(view.made).toEqual({ commits: 2, merges: 1 });
    expect(view.commits.map((c) => c.sha)).toEqual(['c1', 'm1', 'c2']);
    expect(view.progress).toMatchObject({ total: 2, inProgress: 1, completed: 0 });
    expect(view.taskKey('t2')).toBe('key-t2');
    expect(view.taskKey('0123456789')).toBe('01234567');
    expect(view.dependents('t1')).toEqual(['t2']);
  });

  it("keeps a reason as the task's error only while it failed, is blocked or was cancelled", () => {
    const view = planned(task('t1'));
    const to = (status: BrowserTask['status'], reason: string) =>
      view.apply(event({ type: 'task_status_changed', task_id: 't1', to: status, reason }));
    to('TASK_STATUS_FAILED', 'tests failed');
    expect(view.tasks.get('t1')!.task.error).toBe('tests failed');
    // A retry's reason is said, not an error.
    to('TASK_STATUS_PENDING', 'retrying after tests failed');
    expect(view.tasks.get('t1')!.task.error).toBe('');
    expect(view.tasks.get('t1')!.reason).toBe('retrying after tests failed');
    to('TASK_STATUS_BLOCKED', 'needs an answer');
    to('TASK_STATUS_CANCELLED', '');
    expect(view.tasks.get('t1')!.task.error).toBe('needs an answer');
    expect(view.progress).toMatchObject({ cancelled: 1, failed: 0 });
  });

  it('counts a pending task behind a failed dependency as blocked, until it is unblocked', () => {
    const view = planned(task('a'), task('b', { depends_on: ['a'] }), task('c'));
    view.apply(event({ type: 'task_status_changed', task_id: 'a', to: 'TASK_STATUS_FAILED' }));
    const b = view.tasks.get('b')!;
    expect(view.failedDependencies(b)).toEqual(['a']);
    view.apply(
      event({ type: 'task_blocked', task_id: 'c', blocked_by: ['z'], reason: 'z failed' }),
    );
    expect(view.progress).toMatchObject({ failed: 1, blocked: 2 });
    view.apply(event({ type: 'task_unblocked', task_id: 'c' }));
    expect(view.tasks.get('c')!.blockedBy).toEqual([]);
    expect(view.progress.blocked).toBe(1);
  });

  it("takes the lead's progress until a task changes", () => {
    const view = planned(task('a'), task('b'));
    view.apply(event({ type: 'progress_update', total: 2, completed: 1, in_progress: 1 }));
    expect(view.progress).toMatchObject({ total: 2, completed: 1, inProgress: 1 });
    view.apply(event({ type: 'task_status_changed', task_id: 'a', to: 'TASK_STATUS_COMPLETED' }));
    expect(view.progress).toMatchObject({ completed: 1, inProgress: 0 });
  });

  it('sums usage by task, and calls of no task as planning', () => {
    const view = planned(task('t1'));
    view.apply(call('', 100, 0, 0));
    view.apply(call('t1', 0, 0, 1_200));
    view.apply(call('t1', 100, 1_200, 300));
    expect(view.planningUsage).toMatchObject({ inputTokens: 100, calls: 1 });
    expect(view.tasks.get('t1')!.usage).toMatchObject({
      inputTokens: 100,
      cacheReadInputTokens: 1_200,
      cacheCreationInputTokens: 1_500,
    });
    expect(allInputTokens(view.usage)).toBe(2_900);
    expect(view.usage).toMatchObject({ outputTokens: 30, calls: 3 });
    expect(view.usage.costUsd).toBeCloseTo(0.03);
  });

  it('is finished when the project completes or fails, with main as last verified', () => {
    const view = planned(task('t1'));
    view.apply(event({ type: 'main_verified', task_id: 't1', passed: false, reverted: true }));
    view.apply(event({ type: 'main_verified', task_id: 't1', passed: true }));
    view.apply(
      event({ type: 'project_status', status: 'PROJECT_STATUS_PAUSED', reason: 'budget' }),
    );
    expect(view.finished).toBe(false);
    expect(view.finishedAt).toBeUndefined();
    const main = { commit_sha: 'abc', passed: true };
    view.apply(
      event({ type: 'project_status', status: 'PROJECT_STATUS_FAILED', reason: 'r', main }),
    );
    expect(view.finished).toBe(true);
    expect(view.finishedAt).toBe(Date.parse(at(seq)));
    expect(view.statusReason).toBe('r');
    expect(view.main).toEqual({ runs: 2, reverted: 1, final: main });
  });

  it('keeps blockers, stamping a resolution with the clock', () => {
    const view = planned(task('t1'));
    const blocker = { id: 'b1', task_id: 't1', question: 'Which?' };
    view.apply(event({ type: 'blocker_created', blocker }));
    expect(view.blockers.get('b1')).toEqual({ blocker, resolvedAt: undefined });
    const resolved = { ...blocker, status: 'BLOCKER_STATUS_RESOLVED' as const, answer: 'This' };
    view.apply(event({ type: 'blocker_resolved', blocker: resolved }));
    expect(view.blockers.get('b1')).toEqual({ blocker: resolved, resolvedAt: 42 });
  });

  it('keeps the latest result of each gate, cleared by the next assignment, and screenshots', () => {
    const view = planned(task('t1'));
    const gate = (passed: boolean) =>
      event({ type: 'quality_gate', task_id: 't1', name: 'lint', command: 'npm run lint', passed });
    view.apply(gate(false));
    view.apply(gate(true));
    expect(view.tasks.get('t1')!.task.gates).toMatchObject([{ name: 'lint', passed: true }]);
    view.apply(event({ type: 'browser_check', task_id: 't1', passed: true, screenshot: 's1' }));
    view.apply(event({ type: 'browser_check', task_id: 't1', passed: true, screenshot: 's1' }));
    expect(view.tasks.get('t1')!.task.artifacts).toEqual(['s1']);
    view.apply(event({ type: 'task_assigned', task_id: 't1', worker: 'w', attempt: 2 }));
    expect(view.tasks.get('t1')!.task.gates).toEqual([]);
  });

  it('resets to a snapshot: task histories kept, planning usage the rest of the project', () => {
    const view = planned(task('t1'), task('t2'));
    view.apply(event({ type: 'test_result', task_id: 't1', summary: { passed: 1 } }));
    view.apply(event({ type: 'agent_status_changed', task_id: 't2', agent_id: 'a' }));
    const snapshot: BrowserSnapshot = {
      project: {
        id: 'p',
        status: 'PROJECT_STATUS_COMPLETED',
        updated_at: at(100),
        usage: { input_tokens: '500', output_tokens: '50', cost_usd: 1 },
      },
      tasks: [
        task('t1', {
          status: 'TASK_STATUS_COMPLETED',
          branch: 'task/t1',
          commit_sha: 'c1',
          merge_sha: 'm1',
          usage: { input_tokens: '200', output_tokens: '20', cost_usd: 0.25 },
        }),
      ],
      blockers: [{ id: 'b1', resolved_at: at(50) }],
      seq: 10,
    };
    view.reset(snapshot);
    expect([...view.tasks.keys()]).toEqual(['t1']);
    expect(view.tasks.get('t1')!.tests).toHaveLength(1);
    expect(view.agents.size).toBe(0);
    expect(view.planningUsage).toMatchObject({ inputTokens: 300, outputTokens: 30, costUsd: 0.75 });
    expect(view.finished).toBe(true);
    expect(view.finishedAt).toBe(Date.parse(at(100)));
    expect(view.blockers.get('b1')!.resolvedAt).toBe(Date.parse(at(50)));
    // A first load knows its commits only from the tasks that name them.
    expect(view.commits.map((c) => [c.sha, c.branch, c.files])).toEqual([
      ['c1', 'task/t1', undefined],
      ['m1', 'main', undefined],
    ]);
  });

  it('seeds tasks without replacing those it knows', () => {
    const view = planned(task('t1'));
    view.apply(event({ type: 'task_status_changed', task_id: 't1', to: 'TASK_STATUS_COMPLETED' }));
    view.seed([task('t1'), task('t2')]);
    expect(view.tasks.get('t1')!.task.status).toBe('TASK_STATUS_COMPLETED');
    expect(view.tasks.get('t2')!.order).toBe(1);
  });

  it('forgets everything on clear', () => {
    const view = planned(task('t1'));
    view.apply(event({ type: 'commit_created', task_id: 't1', sha: 'm', branch: 'main' }));
    view.apply(event({ type: 'project_status', status: 'PROJECT_STATUS_COMPLETED' }));
    view.clear();
    expect(view.tasks.size).toBe(0);
    expect(view.commits).toEqual([]);
    expect(view.made).toEqual({ commits: 0, merges: 0 });
    expect(view.status).toBe('PROJECT_STATUS_UNSPECIFIED');
    expect(view.finished).toBe(false);
  });
});
