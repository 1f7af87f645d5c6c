// Memory across attempts, end to end: a retried or re-dispatched task starts with the earlier
// attempt's failure and from its work; a dependent is told what its dependency delivered.
import { execFileSync } from 'node:child_process';
import { type Brain, firstUserText, idle, planTask, toolUse } from '@codeframe/fake-anthropic';
import { type Event, ProjectStatus } from '@codeframe/proto';
import { type Cluster, projectEnded, startCluster, watchUntil } from '@codeframe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const PLANS: Record<string, Record<string, unknown>> = {
  failing: { tasks: [planTask('flaky')] },
  cancelled: { tasks: [planTask('long')] },
  broken: { tasks: [planTask('slow')] },
  delivered: { tasks: [planTask('base'), planTask('user', ['base'])] },
};

const PASSING = "import { test } from 'node:test';\ntest('x', () => {});\n";
const FAILING =
  "import { test } from 'node:test';\ntest('x', () => { throw new Error('flaky-boom'); });\n";

/** The first user message of every task request, in order. */
let firsts: string[] = [];

/** Plans by the PRD's "scenario:" line; a task's first attempt leaves work and does not
 * complete; an attempt told of the one before reads that work and completes. */
const brain: Brain = async (request, { signal }) => {
  const first = JSON.stringify(request.messages[0]?.content);
  const scenario = /scenario: ([\w-]+)/.exec(first)?.[1] ?? '';
  if (JSON.stringify(request.tools ?? []).includes('submit_plan'))
    return { content: [toolUse('submit_plan', PLANS[scenario] ?? {})] };
  const key = /# Task ([\w-]+):/.exec(first)?.[1] ?? '';
  const turn = (request.messages.length + 1) / 2;
  if (turn === 1) firsts.push(firstUserText(request));
  const retried = first.includes('Your previous attempt');
  if (retried || key === 'base' || key === 'user') {
    // A retry reads the earlier work first, then completes on its next turn.
    if (turn === 1 && retried) return { content: [toolUse('read_file', { path: `${key}.txt` })] };
    if (turn === (retried ? 2 : 1))
      return {
        content: [
          // For flaky, in place of the failing test the first attempt left.
          toolUse('write_file', { path: `${key}.test.js`, content: PASSING }),
          toolUse('write_file', { path: `${key}-done.txt`, content: 'done' }),
          toolUse('finish', { summary: `Built the ${key} module` }),
        ],
      };
    return { content: [toolUse('finish', { summary: 'done' })] };
  }
  if (turn === 1) {
    const files = [toolUse('write_file', { path: `${key}.txt`, content: `${key} first try` })];
    if (key === 'flaky')
      files.push(toolUse('write_file', { path: 'flaky.test.js', content: FAILING }));
    return { content: files };
  }
  if (key === 'flaky') return { content: [toolUse('finish', { summary: 'x' })] };
  // long and slow: wait to be cancelled or killed.
  await idle(30_000, signal);
  return { content: [toolUse('list_files', {})] };
};

const statusOf = (e: Event) =>
  e.payload.case === 'projectStatus' ? ProjectStatus[e.payload.value.status] : undefined;
const gitIn = (repo: string, args: string[]) =>
  execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8' }).trim();
/** The tool results the model got back, all requests together. */
const toolResults = (c: Cluster) => JSON.stringify(c.fake.requests.map((r) => r.body.messages));

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  firsts = [];
});

async function startProject(c: Cluster, scenario: string) {
  const { project } = await c.client.createProject({ prd: `# ${scenario}\nscenario: ${scenario}` });
  await c.client.startProject({ projectId: project!.id });
  return { projectId: project!.id, repo: `${c.dir}/lead/repos/${project!.id}.git` };
}

describe('memory across attempts', () => {
  it('starts a task retried after failing with the earlier failure, from its work', async () => {
    cluster = await startCluster(brain);
    const c = cluster;
    const { projectId, repo } = await startProject(c, 'failing');
    const first = await watchUntil(c, projectId, 0n, projectEnded);
    expect(statusOf(first.at(-1)!)).toBe('FAILED');
    const { tasks } = await c.client.listTasks({ projectId });
    const id = tasks[0]!.id;
    // The failed attempt's work is kept on a branch of its own.
    expect(gitIn(repo, ['show', `attempts/${id}/1:flaky.txt`])).toBe('flaky first try');
    await c.client.retryTask({ taskId: id });
    const after = await watchUntil(c, projectId, first.at(-1)!.seq, projectEnded);
    expect(statusOf(after.at(-1)!)).toBe('COMPLETED');
    expect(firsts).toHaveLength(2);
    const retry = firsts[1]!;
    expect(retry).toContain('## Your previous attempt (attempt 1) did not complete');
    expect(retry).toContain('It ended failed: the tests still fail after 3 correction attempts');
    expect(retry).toContain('flaky-boom');
    expect(retry).toContain(`This checkout starts from its work (branch attempts/${id}/1)`);
    // The retry's checkout held the file the failed attempt wrote.
    expect(toolResults(c)).toContain('flaky first try');
    expect(gitIn(repo, ['show', 'main:flaky.txt'])).toBe('flaky first try');
  }, 120_000);

  it("keeps a cancelled attempt's work on attempts/<id>/1 and retries from it", async () => {
    cluster = await startCluster(brain);
    const c = cluster;
    const { projectId, repo } = await startProject(c, 'cancelled');
    const written = await watchUntil(c, projectId, 0n, (e) => e.payload.case === 'fileChanged');
    const id = (written.at(-1)!.payload.value as { taskId: string }).taskId;
    await c.client.cancelTask({ taskId: id });
    const first = await watchUntil(c, projectId, 0n, projectEnded);
    expect(statusOf(first.at(-1)!)).toBe('FAILED');
    // The worker pushes once its stream ended: wait for the branch to land, as a person would.
    while (!gitIn(repo, ['branch', '--list', `task/${id}`]))
      await new Promise((resolve) => setTimeout(resolve, 100));
    await c.client.retryTask({ taskId: id });
    const after = await watchUntil(c, projectId, first.at(-1)!.seq, projectEnded);
    expect(statusOf(after.at(-1)!)).toBe('COMPLETED');
    expect(gitIn(repo, ['show', `attempts/${id}/1:long.txt`])).toBe('long first try');
    expect(firsts[1]).toContain('It ended cancelled');
    expect(firsts[1]).toContain(`This checkout starts from its work (branch attempts/${id}/1)`);
    expect(toolResults(c)).toContain('long first try');
  }, 120_000);

  it('tells a task re-dispatched after a broken stream how the earlier attempt ended', async () => {
    cluster = await startCluster(brain, { backend: 2 });
    const c = cluster;
    const { projectId } = await startProject(c, 'broken');
    const written = await watchUntil(c, projectId, 0n, (e) => e.payload.case === 'fileChanged');
    const assigned = written.findLast((e) => e.payload.case === 'taskAssigned');
    const worker = (assigned!.payload.value as { worker: string }).worker;
    const victim = c.workers.backend!.find((w) => worker.endsWith(`:${w.port}`))!;
    victim.child.kill('SIGKILL');
    const events = await watchUntil(c, projectId, 0n, projectEnded);
    expect(statusOf(events.at(-1)!)).toBe('COMPLETED');
    expect(firsts).toHaveLength(2);
    expect(firsts[1]).toContain('## Your previous attempt (attempt 1) did not complete');
    expect(firsts[1]).toMatch(/It ended broken: \S/);
    // Killed, the worker pushed nothing: the re-dispatch starts afresh and says so.
    expect(firsts[1]).toContain('It left no work to start from');
  }, 120_000);

  it("names in a dependent's first request what its dependency delivered", async () => {
    cluster = await startCluster(brain);
    const c = cluster;
    const { projectId } = await startProject(c, 'delivered');
    const events = await watchUntil(c, projectId, 0n, projectEnded);
    expect(statusOf(events.at(-1)!)).toBe('COMPLETED');
    const user = firsts.find((f) => f.startsWith('# Task user:'))!;
    expect(user).toContain('## What its dependencies delivered');
    expect(user).toContain('### base: Task base\nBuilt the base module');
    expect(user).toMatch(/Files changed: .*base-done\.txt/);
    expect(firsts.find((f) => f.startsWith('# Task base:'))).not.toContain(
      'dependencies delivered',
    );
    const { tasks } = await c.client.listTasks({ projectId });
    expect(tasks[0]).toMatchObject({ summary: 'Built the base module' });
    expect(tasks[0]!.filesChanged).toContain('base-done.txt');
  }, 120_000);
});
