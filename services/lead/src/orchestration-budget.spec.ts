// Budgets that hold: the lead, three workers and fake-anthropic, with a price table that
// makes every worker call cost the same known amount and planning free.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Brain, idle, paddedTurn, type TurnBlock, toolUse } from '@codeframe/fake-anthropic';
import { BlockerStatus, type Event, ProjectStatus, TaskStatus } from '@codeframe/proto';
import { type Cluster, projectEnded, startCluster, watchUntil } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const WORKER_MODEL = 'claude-sonnet-5-5';
/** Every worker turn is padded to this many characters: 100 output tokens in the fake. */
const TURN_CHARS = 400;
/** USD per million output tokens, so that one worker call costs CALL_USD exactly (2^-7). */
const OUTPUT_PRICE = 78.125;
const CALL_USD = (TURN_CHARS / 4) * (OUTPUT_PRICE / 1_000_000);
/** The lead's per-task cap (CODEFRAME_TASK_BUDGET_USD): six calls. */
const TASK_BUDGET_USD = 6 * CALL_USD;
/** A plan is padded to this many characters: it costs PLAN_USD where planning is priced. */
const PLAN_CHARS = 1_000;
const PLAN_USD = (PLAN_CHARS / 4) * (OUTPUT_PRICE / 1_000_000);
/** Turns a task of the three needs to finish: its tests, notes, finish. */
const TURNS_TO_FINISH = 5;

const plan = (keys: string[]) => ({
  tasks: keys.map((key) => ({
    key,
    title: `Build ${key}`,
    description: `${key}.js`,
    kind: 'backend',
    depends_on: [],
    acceptance_criteria: ['its test passes'],
  })),
});

const padded = (content: TurnBlock[]) => paddedTurn(content, TURN_CHARS);

/** Worker calls the fake answered: the ones a cancel did not cut off first, which cost. */
let answered = 0;
/** Review calls the fake answered; the first is no verdict, so it asks for a second. */
let reviews = 0;

/**
 * Plans from the PRD's "plan:" line; each task writes its passing test, then a note a turn
 * until its fifth turn finishes; the task "forever" writes notes and never finishes.
 */
const brain: Brain = async (request, ctx) => {
  const tools = JSON.stringify(request.tools ?? []);
  if (tools.includes('submit_plan')) {
    const keys = /plan: ([\w, ]+)/.exec(JSON.stringify(request.messages))?.[1]?.split(', ') ?? [];
    return paddedTurn([toolUse('submit_plan', plan(keys))], PLAN_CHARS);
  }
  if (tools.includes('submit_review')) {
    reviews++;
    if (reviews === 1) return padded([{ type: 'text', text: 'Looks fine to me!' }]);
    return padded([toolUse('submit_review', { verdict: 'approve', summary: 'ok', comments: [] })]);
  }
  const key = /# Task ([\w-]+):/.exec(JSON.stringify(request.messages[0]?.content))?.[1] ?? '?';
  const turn = (request.messages.length + 1) / 2;
  // Slow enough that the three tasks overlap and the lead's cancel arrives mid-run.
  await idle(300, ctx.signal);
  if (!ctx.signal.aborted) answered++;
  const note = toolUse('write_file', { path: `notes/${key}-${turn}.txt`, content: `${turn}\n` });
  if (key === 'forever') return padded([note]);
  if (turn === 1) {
    return padded([
      toolUse('write_file', { path: 'package.json', content: '{ "type": "module" }\n' }),
      toolUse('write_file', {
        path: `${key}.test.js`,
        content: `import { test } from 'node:test';\ntest('${key}', () => {});\n`,
      }),
    ]);
  }
  if (turn < TURNS_TO_FINISH) return padded([note]);
  return padded([toolUse('finish', { summary: `${key} done` })]);
};

/** A cluster whose models cost only their output tokens, at these USD per million; the
 * workers use WORKER_MODEL, the lead too unless `leadEnv` says. */
async function pricedCluster(
  outputPrices: Record<string, number>,
  leadEnv: Record<string, string> = {},
): Promise<Cluster> {
  const prices = join(mkdtempSync(join(tmpdir(), 'prices-')), 'prices.json');
  const table = Object.fromEntries(
    Object.entries(outputPrices).map(([model, output]) => [
      model,
      { input: 0, output, cacheWrite: 0, cacheRead: 0 },
    ]),
  );
  writeFileSync(prices, JSON.stringify(table));
  return startCluster(
    brain,
    {},
    { env: { CODEFRAME_PRICES_FILE: prices, CODEFRAME_MODEL: WORKER_MODEL }, leadEnv },
  );
}

describe('budgets that hold, with workers against fake-anthropic', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // The lead plans with a model the table makes free: every dollar is a worker's call.
    cluster = await pricedCluster(
      { [WORKER_MODEL]: OUTPUT_PRICE, 'claude-haiku-4-5': 0 },
      {
        CODEFRAME_MODEL: 'claude-haiku-4-5',
        CODEFRAME_TASK_BUDGET_USD: String(TASK_BUDGET_USD),
      },
    );
  }, 60_000);
  afterAll(() => cluster?.stop());

  it("stops a task at the lead's per-task cap, at most one call past it", async () => {
    const { client } = cluster;
    const { project } = await client.createProject({ prd: '# Forever\nplan: forever' });
    const projectId = project!.id;
    const before = answered;
    await client.startProject({ projectId });
    const events = await watchUntil(cluster, projectId, 0n, projectEnded);
    expect(events.at(-1)?.payload.value).toMatchObject({ status: ProjectStatus.FAILED });
    const [task] = (await client.listTasks({ projectId })).tasks;
    expect(task?.status).toBe(TaskStatus.FAILED);
    expect(task?.error).toMatch(/the task's budget of \$0\.05 is spent/);
    const spent = task?.usage?.costUsd ?? 0;
    expect(spent).toBeGreaterThanOrEqual(TASK_BUDGET_USD);
    expect(spent).toBeLessThanOrEqual(TASK_BUDGET_USD + CALL_USD);
    expect((answered - before) * CALL_USD).toBeLessThanOrEqual(TASK_BUDGET_USD + CALL_USD);
    expect(task?.usage?.costUsd).toBe(Number(task?.usage?.calls) * CALL_USD);
  }, 120_000);

  it('stops three running tasks when the project budget runs out, waits as a blocker, and completes once it is raised', async () => {
    const { client } = cluster;
    const budgetUsd = 4.5 * CALL_USD;
    const { project } = await client.createProject({
      prd: '# Three\nplan: alpha, beta, gamma',
      budgetUsd,
      maxConcurrency: 3,
    });
    const projectId = project!.id;
    const before = answered;
    await client.startProject({ projectId });
    const blocked = await watchUntil(
      cluster,
      projectId,
      0n,
      (e) => e.payload.case === 'blockerCreated' || projectEnded(e),
    );
    const created = blocked.at(-1)?.payload;
    expect(created?.case).toBe('blockerCreated');
    const blocker = created?.case === 'blockerCreated' ? created.value.blocker : undefined;
    expect(blocker).toMatchObject({ taskId: '', status: BlockerStatus.OPEN });
    expect(blocker?.question).toMatch(/^budget spent: raise it to continue/);
    // All three were running when it ran out.
    const assigned = new Set(
      blocked.flatMap((e) =>
        e.payload.case === 'taskStatusChanged' && e.payload.value.to === TaskStatus.IN_PROGRESS
          ? [e.payload.value.taskId]
          : [],
      ),
    );
    expect(assigned.size).toBe(3);

    // The lead stopped them: none runs, none failed; each waits to run again.
    let { tasks } = await client.listTasks({ projectId });
    while (tasks.some((t) => t.status !== TaskStatus.PENDING)) {
      expect(tasks.map((t) => TaskStatus[t.status])).not.toContain('FAILED');
      await new Promise((resolve) => setTimeout(resolve, 100));
      ({ tasks } = await client.listTasks({ projectId }));
    }
    const paused = (await client.getProject({ projectId })).project!;
    expect(paused.status).toBe(ProjectStatus.PAUSED);
    const spent = paused.usage?.costUsd ?? 0;
    expect(spent).toBeGreaterThanOrEqual(budgetUsd);
    // At most one model call past the budget per running task, counted by the lead and by
    // the fake (calls it answered; the cancel cut the others off before any answer).
    expect(spent).toBeLessThanOrEqual(budgetUsd + 3 * CALL_USD);
    const served = answered - before;
    expect(served * CALL_USD).toBeLessThanOrEqual(budgetUsd + 3 * CALL_USD);
    expect((await client.listBlockers({ projectId })).blockers.map((b) => b.id)).toEqual([
      blocker?.id,
    ]);

    // Nothing more is spent while it waits.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(answered - before).toBe(served);

    const raised = await client.setProjectBudget({ projectId, budgetUsd: 1 });
    expect(raised.project?.status).toBe(ProjectStatus.RUNNING);
    const rest = await watchUntil(cluster, projectId, blocked.at(-1)!.seq, projectEnded);
    expect(rest.some((e) => e.payload.case === 'blockerResolved')).toBe(true);
    expect(rest.at(-1)?.payload.value).toMatchObject({ status: ProjectStatus.COMPLETED });
    ({ tasks } = await client.listTasks({ projectId }));
    expect(tasks.map((t) => [t.key, TaskStatus[t.status]])).toEqual([
      ['alpha', 'COMPLETED'],
      ['beta', 'COMPLETED'],
      ['gamma', 'COMPLETED'],
    ]);
    expect((await client.listBlockers({ projectId })).blockers).toEqual([]);
  }, 180_000);
});

describe('a review that would spend past the budget', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    // One model for all: the plan, each worker turn and each review call cost CALL_USD.
    cluster = await pricedCluster({ [WORKER_MODEL]: OUTPUT_PRICE });
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('stops the review at the call that spent the budget, waits, and reviews again once raised', async () => {
    const { client } = cluster;
    // The plan and the task fit; the review's first call spends it.
    const budgetUsd = PLAN_USD + (TURNS_TO_FINISH + 0.5) * CALL_USD;
    const { project } = await client.createProject({
      prd: '# One\nplan: solo',
      budgetUsd,
      review: true,
    });
    const projectId = project!.id;
    reviews = 0;
    await client.startProject({ projectId });
    const blocked = await watchUntil(
      cluster,
      projectId,
      0n,
      (e) => e.payload.case === 'blockerCreated' || projectEnded(e),
    );
    expect(blocked.at(-1)?.payload.case).toBe('blockerCreated');
    let task = (await client.listTasks({ projectId })).tasks[0];
    while (task?.status !== TaskStatus.PENDING) {
      expect(TaskStatus[task?.status ?? 0]).not.toMatch(/FAILED|COMPLETED/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      task = (await client.listTasks({ projectId })).tasks[0];
    }
    // The answer that was no verdict would be asked again: not with the budget spent.
    expect(reviews).toBe(1);
    const paused = (await client.getProject({ projectId })).project!;
    expect(paused.status).toBe(ProjectStatus.PAUSED);
    expect(paused.usage?.costUsd).toBeLessThanOrEqual(budgetUsd + CALL_USD);
    const merged = (e: Event) =>
      e.payload.case === 'commitCreated' && e.payload.value.branch === 'main';
    expect(blocked.some(merged)).toBe(false);

    await client.setProjectBudget({ projectId, budgetUsd: 1 });
    const rest = await watchUntil(cluster, projectId, blocked.at(-1)!.seq, projectEnded);
    expect(rest.at(-1)?.payload.value).toMatchObject({ status: ProjectStatus.COMPLETED });
    const verdicts = rest.flatMap((e) =>
      e.payload.case === 'reviewCompleted' ? [e.payload.value.approved] : [],
    );
    expect(verdicts).toEqual([true]);
    expect(reviews).toBe(2);
  }, 180_000);
});
