import { budgetLeft, NO_TASK_LIMITS, taskLimits } from '@codeframe/orchestrator';
import {
  BlockerStatus,
  LeadService,
  type Project,
  ProjectStatus,
  TaskKind,
} from '@codeframe/proto';
import { requestValidation } from '@codeframe/rpc';
import { openSqliteStore, type Store } from '@codeframe/store';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { apiErrors } from './api-errors.js';
import { leadParts } from './lead-parts.fixture.js';
import { leadService } from './lead-service.js';

async function lead() {
  const store = await openSqliteStore(':memory:');
  const parts = leadParts(store);
  const transport = createRouterTransport(
    (router) => {
      router.service(LeadService, leadService(parts));
    },
    { router: { interceptors: [apiErrors, requestValidation()] } },
  );
  return { store, client: createClient(LeadService, transport) };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

const spend = (store: Store, projectId: string, costUsd: number) =>
  store.addUsage(projectId, undefined, {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheCreationInputTokens: 0,
    costUsd,
    calls: 1,
    unpriced: false,
  });

/** A planned project of one task (no worker serves it, so nothing is dispatched). */
async function planned(store: Store, budgetUsd: number): Promise<string> {
  const project = await store.createProject({
    name: 'p',
    prd: '# p',
    repoUrl: '',
    budgetUsd,
    maxConcurrency: 0,
  });
  await store.savePlan(project.id, [
    {
      key: 'a',
      title: 'A',
      description: 'a',
      kind: TaskKind.BACKEND,
      dependsOn: [],
      acceptanceCriteria: [],
    },
  ]);
  await store.setProjectStatus(project.id, ProjectStatus.PLANNED);
  return project.id;
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('taskLimits', () => {
  const project = (budgetUsd: number, costUsd: number) =>
    ({ budgetUsd, usage: { costUsd } }) as Project;

  it("sends the per-task cap, never more than what is left of the project's budget", () => {
    const settings = { taskBudgetUsd: 2, maxTurns: 30, deadlineMs: 60_000 };
    expect(taskLimits(project(0, 5), settings)).toMatchObject({
      maxCostUsd: 2,
      maxTurns: 30,
      deadlineMs: 60_000n,
    });
    expect(taskLimits(project(10, 9.5), settings).maxCostUsd).toBe(0.5);
    expect(taskLimits(project(10, 1), settings).maxCostUsd).toBe(2);
    expect(taskLimits(project(3, 1), NO_TASK_LIMITS)).toMatchObject({
      maxCostUsd: 2,
      maxTurns: 0,
      deadlineMs: 0n,
    });
    // No cap and no project budget: 0, the worker's own default.
    expect(taskLimits(project(0, 1), NO_TASK_LIMITS).maxCostUsd).toBe(0);
    expect(budgetLeft(project(1, 2))).toBe(0);
    // Nothing left is the smallest cap, never 0 (which would be none).
    expect(taskLimits(project(1, 1), settings).maxCostUsd).toBe(Number.MIN_VALUE);
  });
});

describe('SetProjectBudget', () => {
  it('refuses a bad project id or budget with the field, and changes nothing', async () => {
    const { client } = await lead();
    const { project } = await client.createProject({ prd: '# x', budgetUsd: 1 });
    const projectId = project!.id;
    const missing = await errorOf(client.setProjectBudget({ projectId: '', budgetUsd: 1 }));
    expect([missing?.code, missing?.rawMessage]).toEqual([
      Code.InvalidArgument,
      'project_id: value is required [required]',
    ]);
    const unknown = await errorOf(client.setProjectBudget({ projectId: 'nope', budgetUsd: 1 }));
    expect([unknown?.code, unknown?.rawMessage]).toEqual([
      Code.NotFound,
      'project "nope" does not exist',
    ]);
    const control = await errorOf(
      client.setProjectBudget({ projectId: 'p\u001b[2J', budgetUsd: 1 }),
    );
    expect(control?.rawMessage).toMatch(/^project_id: contains the control character U\+001B/);
    for (const budgetUsd of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const err = await errorOf(client.setProjectBudget({ projectId, budgetUsd }));
      expect(err?.code).toBe(Code.InvalidArgument);
      expect(err?.rawMessage).toMatch(/^budget_usd: must be (greater than or equal to 0|finite)/);
    }
    expect((await client.getProject({ projectId })).project?.budgetUsd).toBe(1);
    const set = await client.setProjectBudget({ projectId, budgetUsd: 2.5 });
    expect(set.project?.budgetUsd).toBe(2.5);
    expect((await client.getProject({ projectId })).project?.budgetUsd).toBe(2.5);
  });

  it('a spent project waits on a blocker of its own until its budget is raised', async () => {
    const { store, client } = await lead();
    const projectId = await planned(store, 1);
    await spend(store, projectId, 1.25);
    await client.startProject({ projectId });
    // The blocker is created before the project is paused, so whoever sees it paused finds
    // what it waits on (between the two, a snapshot shows the blocker on a running project).
    const paused = await until(
      () => client.getProjectSnapshot({ projectId }),
      (s) => s.project?.status === ProjectStatus.PAUSED,
    );
    expect(paused.blockers).toHaveLength(1);
    const [blocker] = paused.blockers;
    expect(blocker).toMatchObject({ taskId: '', status: BlockerStatus.OPEN });
    expect(blocker?.question).toBe('budget spent: raise it to continue ($1.25 of $1.00 used)');

    // Neither a resume nor an answer lets it go on: only a new budget does.
    const resume = await errorOf(client.resumeProject({ projectId }));
    expect(resume?.code).toBe(Code.FailedPrecondition);
    expect(resume?.rawMessage).toMatch(/has spent its budget.*codeframe budget/);
    const answer = await errorOf(client.answerBlocker({ blockerId: blocker!.id, answer: 'go' }));
    expect(answer?.code).toBe(Code.FailedPrecondition);
    expect(answer?.rawMessage).toMatch(/raise it with SetProjectBudget/);
    // A budget still below what was spent keeps it waiting.
    const low = await client.setProjectBudget({ projectId, budgetUsd: 1.2 });
    expect(low.project?.status).toBe(ProjectStatus.PAUSED);
    expect((await client.listBlockers({ projectId })).blockers).toHaveLength(1);

    const raised = await client.setProjectBudget({ projectId, budgetUsd: 5 });
    expect(raised.project).toMatchObject({ status: ProjectStatus.RUNNING, budgetUsd: 5 });
    expect((await client.listBlockers({ projectId })).blockers).toEqual([]);
    const [resolved] = (await client.listBlockers({ projectId, includeResolved: true })).blockers;
    expect(resolved).toMatchObject({
      status: BlockerStatus.RESOLVED,
      answer: 'the budget was set to $5.00',
    });
    const cases = (await store.readEvents(projectId, 0n, 100)).map((e) => e.payload.case);
    expect(cases).toContain('blockerCreated');
    expect(cases).toContain('blockerResolved');
  });

  it('lowering the budget of a running project below its spend blocks it at once', async () => {
    const { store, client } = await lead();
    const projectId = await planned(store, 0);
    await spend(store, projectId, 0.5);
    await client.startProject({ projectId });
    const lowered = await client.setProjectBudget({ projectId, budgetUsd: 0.25 });
    expect(lowered.project?.status).toBe(ProjectStatus.PAUSED);
    const { blockers } = await client.listBlockers({ projectId });
    expect(blockers.map((b) => b.taskId)).toEqual(['']);
    // 0 is no budget: the project goes on.
    const unlimited = await client.setProjectBudget({ projectId, budgetUsd: 0 });
    expect(unlimited.project?.status).toBe(ProjectStatus.RUNNING);
  });
});
