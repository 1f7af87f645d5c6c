import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Brain, idle, passingTest, planTask, text, toolUse } from '@codeframe/fake-anthropic';
import { type Event, ProjectStatus, TaskStatus } from '@codeframe/proto';
import { type Cluster, projectEnded, startCluster, watchUntil } from '@codeframe/testkit';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterEach, describe, expect, it } from 'vitest';

const PLANS: Record<string, Record<string, unknown>> = {
  'worker-dies': { tasks: [planTask('slow')] },
  'lead-dies': { tasks: [planTask('one'), planTask('two', ['one'])] },
  cancel: { tasks: [planTask('long'), planTask('after', ['long'])] },
  blocker: { tasks: [planTask('ask')] },
  cyclic: { tasks: [planTask('a', ['b']), planTask('b', ['a'])] },
  budget: { tasks: [planTask('one'), planTask('two', ['one'])] },
  retry: { tasks: [planTask('flaky'), planTask('after', ['flaky'])] },
  'merge-refused': { tasks: [planTask('one')] },
  conflict: { tasks: [planTask('left'), planTask('right')] },
};

let flakyRuns = 0;

/** Plans by the PRD's "scenario:" line, then plays each task of the scenario. */
const brain: Brain = async (request, { signal }) => {
  const first = JSON.stringify(request.messages[0]?.content);
  const scenario = /scenario: ([\w-]+)/.exec(first)?.[1] ?? '';
  if (JSON.stringify(request.tools ?? []).includes('submit_plan'))
    return { content: [toolUse('submit_plan', PLANS[scenario] ?? {})] };
  const key = /# Task ([\w-]+):/.exec(first)?.[1] ?? '';
  const write = (content: string) => [
    toolUse('write_file', { path: `${key}.txt`, content }),
    passingTest(key),
    toolUse('finish', { summary: key }),
  ];
  if (request.messages.length > 1 && key !== 'long')
    return { content: [toolUse('finish', { summary: 'done' })] };
  if (key === 'slow' || key === 'two') await idle(2_000, signal);
  if (key === 'long') {
    await idle(300, signal);
    // A different search each turn: working, not going in circles.
    return { content: [toolUse('search', { pattern: `step ${request.messages.length}` })] };
  }
  if (key === 'flaky') {
    // Fails its first dispatch: a test that cannot pass.
    if (request.messages.length === 1 && flakyRuns++ === 0) {
      return {
        content: [
          toolUse('write_file', {
            path: 'flaky.test.js',
            content:
              "import { test } from 'node:test';\ntest('x', () => { throw new Error('no'); });\n",
          }),
          toolUse('finish', { summary: 'x' }),
        ],
      };
    }
    return {
      content: [
        toolUse('write_file', {
          path: 'flaky.test.js',
          content: "import { test } from 'node:test';\ntest('x', () => {});\n",
        }),
        toolUse('finish', { summary: 'fixed' }),
      ],
    };
  }
  if (key === 'left' || key === 'right') {
    // Both write the same file at the same time from the same main: the second merge conflicts.
    await idle(500, signal);
    return {
      content: [
        toolUse('write_file', { path: 'shared.txt', content: `${key}\n` }),
        passingTest(key),
        toolUse('finish', { summary: key }),
      ],
    };
  }
  if (key === 'ask') {
    const answered = /Answers to your earlier questions[\s\S]*A: (\d+)/.exec(first);
    if (!answered) {
      // Some work first: it must survive the wait for the answer.
      const draft = toolUse('write_file', { path: 'draft.txt', content: 'draft' });
      return {
        content: [draft, toolUse('ask_human', { question: 'Which port should the server use?' })],
      };
    }
    return { content: write(`port ${answered[1]}`) };
  }
  return { content: [text(`working on ${key}`), ...write(key)] };
};

const statusOf = (e: Event) =>
  e.payload.case === 'projectStatus' ? ProjectStatus[e.payload.value.status] : undefined;

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function startProject(c: Cluster, scenario: string) {
  const { project } = await c.client.createProject({ prd: `# ${scenario}\nscenario: ${scenario}` });
  await c.client.startProject({ projectId: project!.id });
  return project!.id;
}

describe('faults and control', () => {
  it('re-dispatches the task of a worker killed with -9 to another replica', async () => {
    cluster = await startCluster(brain, { backend: 2 });
    const c = cluster;
    const projectId = await startProject(c, 'worker-dies');
    const assigned = await watchUntil(c, projectId, 0n, (e) => e.payload.case === 'taskAssigned');
    const worker = assigned.at(-1)?.payload.value as { worker: string };
    const victim = c.workers.backend!.find((w) => worker.worker.endsWith(`:${w.port}`))!;
    await new Promise((resolve) => setTimeout(resolve, 500));
    victim.child.kill('SIGKILL');
    const events = await watchUntil(c, projectId, 0n, projectEnded);
    expect(statusOf(events.at(-1)!)).toBe('COMPLETED');
    const workers = events.flatMap((e) =>
      e.payload.case === 'taskAssigned' ? [e.payload.value.worker] : [],
    );
    expect(workers).toHaveLength(2);
    expect(workers[1]).not.toBe(workers[0]);
    expect(
      events.some(
        (e) =>
          e.payload.case === 'activityUpdate' &&
          /attempt 1 on .* broke/.test(e.payload.value.message),
      ),
    ).toBe(true);
  }, 90_000);

  it('continues a run after the lead is killed with -9 and restarted, without reusing a seq', async () => {
    cluster = await startCluster(brain);
    const c = cluster;
    const projectId = await startProject(c, 'lead-dies');
    // Wait until the second task runs (the first is merged), then kill the lead.
    const running = await watchUntil(
      c,
      projectId,
      0n,
      (_e, seen) => seen.filter((x) => x.payload.case === 'taskAssigned').length === 2,
    );
    c.lead.child.kill('SIGKILL');
    await c.lead.exited();
    await c.restartLead();
    const after = await watchUntil(c, projectId, 0n, projectEnded);
    expect(statusOf(after.at(-1)!)).toBe('COMPLETED');
    expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => BigInt(i + 1)));
    // What was persisted before the kill is unchanged after it.
    for (const event of running)
      expect(after[Number(event.seq) - 1]?.payload).toEqual(event.payload);
    const { tasks } = await c.client.listTasks({ projectId });
    expect(tasks.map((t) => TaskStatus[t.status])).toEqual(['COMPLETED', 'COMPLETED']);
  }, 90_000);

  it('cancels a running task: nothing of it after cancelled, its dependent stays blocked', async () => {
    cluster = await startCluster(brain);
    const c = cluster;
    const projectId = await startProject(c, 'cancel');
    const started = await watchUntil(
      c,
      projectId,
      0n,
      (e) =>
        e.payload.case === 'taskStatusChanged' && e.payload.value.to === TaskStatus.IN_PROGRESS,
    );
    const taskId = (started.at(-1)!.payload.value as { taskId: string }).taskId;
    await c.client.cancelTask({ taskId });
    const events = await watchUntil(c, projectId, 0n, projectEnded);
    const cancelledAt = events.findIndex(
      (e) =>
        e.payload.case === 'taskStatusChanged' &&
        e.payload.value.taskId === taskId &&
        e.payload.value.to === TaskStatus.CANCELLED,
    );
    expect(cancelledAt).toBeGreaterThan(0);
    const later = events
      .slice(cancelledAt + 1)
      .filter(
        (e) =>
          JSON.stringify(e.payload.value ?? {}).includes(taskId) &&
          e.payload.case !== 'taskBlocked' &&
          e.payload.case !== 'progressUpdate',
      );
    expect(later).toEqual([]);
    expect(events.some((e) => e.payload.case === 'taskBlocked')).toBe(true);
    expect(statusOf(events.at(-1)!)).toBe('FAILED');
  }, 90_000);

  it('turns ask_human into a blocker; the answer resumes the task; a second answer is refused', async () => {
    cluster = await startCluster(brain);
    const c = cluster;
    const projectId = await startProject(c, 'blocker');
    const waiting = await watchUntil(c, projectId, 0n, (e) => e.payload.case === 'blockerCreated');
    const blocker = (
      waiting.at(-1)!.payload.value as { blocker: { id: string; question: string; taskId: string } }
    ).blocker;
    expect(blocker.question).toBe('Which port should the server use?');
    const { blockers } = await c.client.listBlockers({ projectId });
    expect(blockers.map((b) => b.id)).toEqual([blocker.id]);
    await c.client.answerBlocker({ blockerId: blocker.id, answer: '8080' });
    const events = await watchUntil(c, projectId, 0n, projectEnded);
    expect(statusOf(events.at(-1)!)).toBe('COMPLETED');
    expect(events.some((e) => e.payload.case === 'blockerResolved')).toBe(true);
    // The answer makes the task ready again: unblocked, then dispatched again.
    const resolved = events.findIndex((e) => e.payload.case === 'blockerResolved');
    const unblocked = events.findIndex((e) => e.payload.case === 'taskUnblocked');
    expect(events[unblocked]?.payload.value).toMatchObject({ taskId: blocker.taskId });
    expect(unblocked).toBeGreaterThan(resolved);
    expect(events.slice(unblocked).some((e) => e.payload.case === 'taskAssigned')).toBe(true);
    // The resumed task started from what it pushed before asking.
    const { tasks } = await c.client.listTasks({ projectId });
    const repo = `${c.dir}/lead/repos/${projectId}.git`;
    const log = execFileSync(
      'git',
      ['--git-dir', repo, 'log', '--format=%s', `task/${tasks[0]!.id}`],
      {
        encoding: 'utf8',
      },
    );
    expect(log).toMatch(/wip\(ask\): work before a question/);
    expect(
      execFileSync('git', ['--git-dir', repo, 'show', 'main:draft.txt'], { encoding: 'utf8' }),
    ).toBe('draft');
    const again = await c.client
      .answerBlocker({ blockerId: blocker.id, answer: '9090' })
      .catch((e: unknown) => ConnectError.from(e));
    expect((again as ConnectError).code).toBe(Code.FailedPrecondition);
  }, 90_000);

  it('refuses a plan with a cycle twice, with the reason', async () => {
    cluster = await startCluster(brain);
    const { project } = await cluster.client.createProject({ prd: '# cyclic\nscenario: cyclic' });
    const err = await cluster.client
      .planProject({ projectId: project!.id })
      .catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((err as ConnectError).rawMessage).toBe(
      "planning failed: the model's plan is invalid: the plan's dependencies form a cycle: a → b → a",
    );
    expect(cluster.fake.requests).toHaveLength(2);
    const { project: after } = await cluster.client.getProject({ projectId: project!.id });
    expect(ProjectStatus[after!.status]).toBe('CREATED');
  }, 60_000);

  it('pauses the project on a blocker of its own when its budget is spent, and says so', async () => {
    cluster = await startCluster(brain);
    const { project } = await cluster.client.createProject({
      prd: '# budget\nscenario: budget',
      budgetUsd: 0.000001,
    });
    const projectId = project!.id;
    await cluster.client.startProject({ projectId });
    const events = await watchUntil(cluster, projectId, 0n, (e) => statusOf(e) === 'PAUSED');
    const paused = events.at(-1)!.payload.value as { reason: string };
    expect(paused.reason).toMatch(
      /^budget spent: raise it to continue \(\$[\d.]+ of \$0\.0000 used\)/,
    );
    const { blockers } = await cluster.client.listBlockers({ projectId });
    expect(blockers.map((b) => [b.taskId, b.question])).toEqual([['', paused.reason]]);
    // Planning spent it: nothing starts.
    const { tasks } = await cluster.client.listTasks({ projectId });
    expect(tasks.map((t) => TaskStatus[t.status])).toEqual(['PENDING', 'PENDING']);
  }, 60_000);

  it('retries a failed task on request: its blocked dependent is unblocked once it completes, and the project then completes', async () => {
    cluster = await startCluster(brain);
    const projectId = await startProject(cluster, 'retry');
    const first = await watchUntil(cluster, projectId, 0n, projectEnded);
    expect(statusOf(first.at(-1)!)).toBe('FAILED');
    const { tasks } = await cluster.client.listTasks({ projectId });
    const [flaky, dependent] = tasks;
    expect(tasks.map((t) => TaskStatus[t.status])).toEqual(['FAILED', 'PENDING']);
    const blocked = first.filter((e) => e.payload.case === 'taskBlocked');
    expect(blocked.map((e) => e.payload.value)).toMatchObject([
      { taskId: dependent!.id, blockedBy: [flaky!.id] },
    ]);
    await cluster.client.retryTask({ taskId: flaky!.id });
    const after = await watchUntil(cluster, projectId, first.at(-1)!.seq, projectEnded);
    expect(statusOf(after.at(-1)!)).toBe('COMPLETED');
    const at = (found: (e: Event) => boolean) => after.findIndex(found);
    const unblocked = at((e) => e.payload.case === 'taskUnblocked');
    expect(after[unblocked]?.payload.value).toMatchObject({ taskId: dependent!.id });
    expect(after.filter((e) => e.payload.case === 'taskUnblocked')).toHaveLength(1);
    // Ready again only once its dependency completed, and before it is dispatched.
    const completed = at(
      (e) =>
        e.payload.case === 'taskStatusChanged' &&
        e.payload.value.taskId === flaky!.id &&
        e.payload.value.to === TaskStatus.COMPLETED,
    );
    const assigned = at(
      (e) => e.payload.case === 'taskAssigned' && e.payload.value.taskId === dependent!.id,
    );
    expect(completed).toBeGreaterThan(0);
    expect(unblocked).toBeGreaterThan(completed);
    expect(assigned).toBeGreaterThan(unblocked);
  }, 90_000);

  it('fails a task whose merge the repository refuses, and keeps running', async () => {
    cluster = await startCluster(brain);
    const { project } = await cluster.client.createProject({
      prd: '# merge-refused\nscenario: merge-refused',
    });
    const repo = fileURLToPath(project!.repoUrl);
    // Task branches may be pushed; main is locked (as a crashed git leaves it): the lead's
    // merge, a compare-and-swap of main in the repository, cannot land.
    writeFileSync(join(repo, 'refs', 'heads', 'main.lock'), '');
    await cluster.client.startProject({ projectId: project!.id });
    const events = await watchUntil(cluster, project!.id, 0n, projectEnded);
    expect(statusOf(events.at(-1)!)).toBe('FAILED');
    const { tasks } = await cluster.client.listTasks({ projectId: project!.id });
    expect(tasks[0]!.error).toMatch(/^could not merge task\/\S+ into main: /);
    expect(cluster.lead.child.exitCode).toBeNull();
    expect((await cluster.client.listProjects({})).projects).toHaveLength(1);
  }, 90_000);

  it('re-runs a task whose merge conflicts on the new main, then merges it', async () => {
    cluster = await startCluster(brain, { backend: 2 });
    const projectId = await startProject(cluster, 'conflict');
    const events = await watchUntil(cluster, projectId, 0n, projectEnded);
    expect(statusOf(events.at(-1)!)).toBe('COMPLETED');
    const rerun = events.find(
      (e) =>
        e.payload.case === 'taskStatusChanged' &&
        /merging conflicts in shared\.txt; running again on the new main/.test(
          e.payload.value.reason,
        ),
    );
    expect(rerun).toBeDefined();
    const assigned = events.filter((e) => e.payload.case === 'taskAssigned');
    expect(assigned).toHaveLength(3);
  }, 90_000);
});
