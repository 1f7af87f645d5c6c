// What every Store must do, whatever keeps the data. An implementation's spec calls
// describeStoreContract with a function that opens a fresh, empty store.
import { randomUUID } from 'node:crypto';
import { clone, create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { UsageTotals } from '@codeframe/proto';
import {
  type Blocker,
  BlockerStatus,
  EventSchema,
  encodingOf,
  PlanReadySchema,
  ProgressUpdateSchema,
  ProjectStatus,
  QualityGateSchema,
  rememberEncoding,
  TaskKind,
  TaskStatus,
  TaskStatusChangedSchema,
  TestSummarySchema,
} from '@codeframe/proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type EventPayload,
  type NewProject,
  type PlannedTask,
  type Store,
  StoreError,
} from './store.js';

const PROJECT: NewProject = {
  name: 'todo-app',
  prd: '# Todo\nA list of things to do.',
  repoUrl: 'file:///tmp/todo.git',
  budgetUsd: 12.5,
  maxConcurrency: 3,
};

const planned = (key: string, dependsOn: string[] = [], kind = TaskKind.BACKEND): PlannedTask => ({
  key,
  title: `Build ${key}`,
  description: `The ${key} part.`,
  kind,
  dependsOn,
  acceptanceCriteria: [`${key} works`, `${key} is tested`],
});

const PLAN = [
  planned('schema'),
  planned('api', ['schema']),
  planned('ui', ['api'], TaskKind.FRONTEND),
  planned('e2e', ['api', 'ui'], TaskKind.TEST),
];

const delta = (over: Partial<UsageTotals> = {}): UsageTotals => ({
  inputTokens: 100,
  outputTokens: 20,
  cacheReadInputTokens: 5,
  cacheCreationInputTokens: 3,
  costUsd: 0.25,
  calls: 1,
  unpriced: false,
  ...over,
});

const note = (total: number): EventPayload => ({
  case: 'progressUpdate',
  value: create(ProgressUpdateSchema, { total }),
});

async function refusal(promise: Promise<unknown>, code: StoreError['code']): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  return err as StoreError;
}

export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`Store contract (${name})`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await open();
    });
    afterEach(() => store.close());

    describe('projects', () => {
      it('creates a project with a UUID, status CREATED and empty usage, counts and log', async () => {
        const project = await store.createProject(PROJECT);
        expect(project.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(project).toMatchObject({ ...PROJECT, status: ProjectStatus.CREATED });
        expect(project.usage?.calls).toBe(0);
        expect(project.taskCount).toBe(0);
        expect(project.lastSeq).toBe(0n);
        expect(project.createdAt).toBeDefined();
        expect(project.updatedAt).toBeDefined();
        expect(await store.getProject(project.id)).toEqual(project);
      });

      it('creates a project with the id it is given, once', async () => {
        const id = randomUUID();
        const project = await store.createProject({ ...PROJECT, id });
        expect(project.id).toBe(id);
        expect((await store.getProject(id))?.name).toBe(PROJECT.name);
        await expect(store.createProject({ ...PROJECT, id })).rejects.toThrow();
        expect((await store.listProjects()).map((p) => p.id)).toEqual([id]);
      });

      it('lists projects oldest first and answers undefined for an unknown id', async () => {
        const a = await store.createProject({ ...PROJECT, name: 'a' });
        const b = await store.createProject({ ...PROJECT, name: 'b' });
        const c = await store.createProject({ ...PROJECT, name: 'c' });
        expect((await store.listProjects()).map((p) => p.id)).toEqual([a.id, b.id, c.id]);
        expect(await store.getProject('nope')).toBeUndefined();
      });

      it('sets the status', async () => {
        const { id } = await store.createProject(PROJECT);
        const running = await store.setProjectStatus(id, ProjectStatus.RUNNING);
        expect(running.status).toBe(ProjectStatus.RUNNING);
        expect((await store.getProject(id))?.status).toBe(ProjectStatus.RUNNING);
        const err = await refusal(
          store.setProjectStatus('nope', ProjectStatus.PAUSED),
          'not_found',
        );
        expect(err.message).toBe('project "nope" does not exist');
      });

      it('sets the budget', async () => {
        const { id } = await store.createProject(PROJECT);
        const raised = await store.setProjectBudget(id, 7.5);
        expect(raised.budgetUsd).toBe(7.5);
        expect((await store.getProject(id))?.budgetUsd).toBe(7.5);
        await refusal(store.setProjectBudget('nope', 1), 'not_found');
      });

      it('keeps whether its tasks are reviewed: on unless the project says off', async () => {
        expect((await store.createProject(PROJECT)).review).toBe(true);
        const off = await store.createProject({ ...PROJECT, review: false });
        expect(off.review).toBe(false);
        expect((await store.getProject(off.id))?.review).toBe(false);
        expect((await store.createProject({ ...PROJECT, review: true })).review).toBe(true);
      });
    });

    describe('repository credentials', () => {
      it('keeps them apart: never in a project, only from getRepoCredentials', async () => {
        const credentials = { username: 'alice', password: 'gh_s3cret' };
        const project = await store.createProject({
          ...PROJECT,
          repoUrl: 'https://git.example.com/a.git',
          repoCredentials: credentials,
        });
        const shown = JSON.stringify(
          [project, await store.getProject(project.id), await store.listProjects()],
          (_k, v) => (typeof v === 'bigint' ? String(v) : v),
        );
        expect(shown).not.toMatch(/gh_s3cret|alice/);
        expect(await store.getRepoCredentials(project.id)).toEqual(credentials);
        const plain = await store.createProject(PROJECT);
        expect(await store.getRepoCredentials(plain.id)).toBeUndefined();
      });

      it('refuses a second project on a repository key already taken, storing nothing', async () => {
        const first = await store.createProject({ ...PROJECT, repoKey: 'git.example.com/a' });
        const err = await refusal(
          store.createProject({ ...PROJECT, name: 'second', repoKey: 'git.example.com/a' }),
          'conflict',
        );
        expect(err.message).toBe(
          `the repository is already the repository of project "${first.id}"; give each project its own`,
        );
        expect(await store.listProjects()).toHaveLength(1);
        await store.createProject({ ...PROJECT, name: 'third', repoKey: 'git.example.com/b' });
        await store.createProject({ ...PROJECT, name: 'no key' });
        await store.createProject({ ...PROJECT, name: 'no key either' });
        expect(await store.listProjects()).toHaveLength(3 + 1);
      });
    });

    describe('plans and tasks', () => {
      it('saves a plan in order with ids, branches and dependencies mapped to ids', async () => {
        const { id: projectId } = await store.createProject(PROJECT);
        const tasks = await store.savePlan(projectId, PLAN);
        expect(tasks.map((t) => t.key)).toEqual(['schema', 'api', 'ui', 'e2e']);
        const id = Object.fromEntries(tasks.map((t) => [t.key, t.id]));
        expect(new Set(Object.values(id)).size).toBe(4);
        expect(tasks.map((t) => t.dependsOn)).toEqual([[], [id.schema], [id.api], [id.api, id.ui]]);
        const e2e = tasks[3]!;
        expect(e2e).toMatchObject({
          projectId,
          title: 'Build e2e',
          description: 'The e2e part.',
          kind: TaskKind.TEST,
          acceptanceCriteria: ['e2e works', 'e2e is tested'],
          status: TaskStatus.PENDING,
          attempt: 0,
          branch: `task/${e2e.id}`,
        });
        expect(await store.listTasks(projectId)).toEqual(tasks);
        expect(await store.getTask(e2e.id)).toEqual(e2e);
        expect(await store.getTask('nope')).toBeUndefined();
        expect((await store.getProject(projectId))?.taskCount).toBe(4);
      });

      it('counts the tasks of every project by status in one call', async () => {
        const a = await store.createProject(PROJECT);
        const b = await store.createProject(PROJECT);
        const [first] = await store.savePlan(a.id, PLAN);
        await store.savePlan(b.id, [planned('only')]);
        await store.updateTask(first!.id, { status: TaskStatus.IN_PROGRESS });
        const expected = new Map<TaskStatus, number>();
        for (const project of await store.listProjects())
          for (const task of await store.listTasks(project.id))
            expected.set(task.status, (expected.get(task.status) ?? 0) + 1);
        expect(await store.countTasksByStatus()).toEqual(expected);
        expect(expected.get(TaskStatus.IN_PROGRESS)).toBeGreaterThanOrEqual(1);
      });

      it('refuses a plan with unknown dependencies, duplicate keys or a cycle', async () => {
        const { id } = await store.createProject(PROJECT);
        const unknown = await refusal(store.savePlan(id, [planned('a', ['zz'])]), 'invalid');
        expect(unknown.message).toContain('"zz"');
        await refusal(store.savePlan(id, [planned('a'), planned('a')]), 'invalid');
        await refusal(store.savePlan(id, [planned('a', ['b']), planned('b', ['a'])]), 'invalid');
        await refusal(store.savePlan('nope', PLAN), 'not_found');
        expect(await store.listTasks(id)).toEqual([]);
      });

      it('replaces a plan before any task started, and refuses to once one has', async () => {
        const { id } = await store.createProject(PROJECT);
        const first = await store.savePlan(id, PLAN);
        const second = await store.savePlan(id, [planned('only')]);
        expect(second.map((t) => t.key)).toEqual(['only']);
        expect(await store.getTask(first[0]!.id)).toBeUndefined();
        expect(await store.listTasks(id)).toEqual(second);

        await store.startAttempt(second[0]!.id, 'backend@127.0.0.1:7101');
        const err = await refusal(store.savePlan(id, PLAN), 'conflict');
        expect(err.message).toContain('"only" has already started');
        expect(await store.listTasks(id)).toHaveLength(1);
      });

      it('also counts a task moved out of PENDING as started', async () => {
        const { id } = await store.createProject(PROJECT);
        const [task] = await store.savePlan(id, [planned('a')]);
        await store.updateTask(task!.id, { status: TaskStatus.ASSIGNED });
        await refusal(store.savePlan(id, PLAN), 'conflict');
      });

      it('updates only the fields in the patch and fills the project counts', async () => {
        const { id: projectId } = await store.createProject(PROJECT);
        const [a, b, c] = await store.savePlan(projectId, PLAN);
        const tests = create(TestSummarySchema, {
          passed: 12,
          failed: 0,
          durationMs: 1234n,
          framework: 'vitest',
          command: 'npx vitest run',
        });
        const done = await store.updateTask(a!.id, {
          status: TaskStatus.COMPLETED,
          worker: 'w1',
          commitSha: 'abc123',
          mergeSha: 'def456',
          tests,
          attempt: 2,
        });
        expect(done).toMatchObject({
          status: TaskStatus.COMPLETED,
          worker: 'w1',
          commitSha: 'abc123',
          mergeSha: 'def456',
          attempt: 2,
          error: '',
          title: a!.title,
        });
        expect(done.tests).toEqual(tests);
        const failed = await store.updateTask(b!.id, { status: TaskStatus.FAILED, error: 'boom' });
        expect(failed).toMatchObject({ status: TaskStatus.FAILED, error: 'boom', worker: '' });
        expect(await store.getTask(b!.id)).toEqual(failed);
        await store.updateTask(c!.id, { status: TaskStatus.IN_PROGRESS });

        const project = await store.getProject(projectId);
        expect(project).toMatchObject({ taskCount: 4, completedTaskCount: 1, failedTaskCount: 1 });
        const err = await refusal(store.updateTask('x', { error: 'e' }), 'not_found');
        expect(err.message).toBe('task "x" does not exist');
      });

      it('answers not_found when listing tasks of an unknown project', async () => {
        await refusal(store.listTasks('nope'), 'not_found');
      });
    });

    describe('attempts', () => {
      it('numbers attempts per task and records attempt and worker on the task', async () => {
        const { id } = await store.createProject(PROJECT);
        const [a, b] = await store.savePlan(id, PLAN);
        const first = await store.startAttempt(a!.id, 'w1');
        expect(first).toMatchObject({ taskId: a!.id, number: 1, worker: 'w1' });
        expect(first.startedAt).toBeInstanceOf(Date);
        expect(first.endedAt).toBeUndefined();
        await store.finishAttempt(first.id, 'worker_lost', {
          error: 'the worker stopped answering',
        });
        const second = await store.startAttempt(a!.id, 'w2');
        expect(second.number).toBe(2);
        expect((await store.startAttempt(b!.id, 'w3')).number).toBe(1);
        expect(await store.getTask(a!.id)).toMatchObject({ attempt: 2, worker: 'w2' });
        await store.finishAttempt(second.id, 'completed');

        const attempts = await store.listAttempts(a!.id);
        expect(attempts.map((x) => x.number)).toEqual([1, 2]);
        expect(attempts[0]).toMatchObject({
          id: first.id,
          outcome: 'worker_lost',
          error: 'the worker stopped answering',
        });
        expect(attempts[0]!.endedAt).toBeInstanceOf(Date);
        expect(attempts[1]).toMatchObject({ outcome: 'completed' });
        expect(attempts[1]!.error).toBeUndefined();
      });

      it("keeps what a retry needs: the error, the failing output and the work's branch", async () => {
        const { id } = await store.createProject(PROJECT);
        const [a] = await store.savePlan(id, PLAN);
        const attempt = await store.startAttempt(a!.id, 'w1');
        await store.finishAttempt(attempt.id, 'failed', {
          error: 'the tests still fail',
          testOutput: 'not ok 1 - adds',
        });
        await store.setAttemptBranch(attempt.id, `attempts/${a!.id}/1`);
        expect((await store.listAttempts(a!.id))[0]).toMatchObject({
          outcome: 'failed',
          error: 'the tests still fail',
          testOutput: 'not ok 1 - adds',
          branch: `attempts/${a!.id}/1`,
        });
        await refusal(store.setAttemptBranch('x', 'attempts/x/1'), 'not_found');
      });

      it('keeps what the review asked of an attempt it sent back', async () => {
        const { id } = await store.createProject(PROJECT);
        const [a] = await store.savePlan(id, PLAN);
        const attempt = await store.startAttempt(a!.id, 'w1');
        await store.finishAttempt(attempt.id, 'changes_requested', {
          review: 'src/add.js:3: add a test for negative numbers',
        });
        expect((await store.listAttempts(a!.id))[0]).toMatchObject({
          outcome: 'changes_requested',
          review: 'src/add.js:3: add a test for negative numbers',
        });
        const second = await store.startAttempt(a!.id, 'w1');
        await store.finishAttempt(second.id, 'completed');
        expect((await store.listAttempts(a!.id))[1]!.review).toBeUndefined();
      });

      it('keeps what a task delivered: its summary and files changed', async () => {
        const { id } = await store.createProject(PROJECT);
        const [a] = await store.savePlan(id, PLAN);
        expect(await store.getTask(a!.id)).toMatchObject({ summary: '', filesChanged: [] });
        await store.updateTask(a!.id, { summary: 'Added add()', filesChanged: ['math.js'] });
        expect(await store.getTask(a!.id)).toMatchObject({
          summary: 'Added add()',
          filesChanged: ['math.js'],
        });
      });

      it("keeps the latest result of each of a task's quality gates", async () => {
        const { id } = await store.createProject(PROJECT);
        const [a] = await store.savePlan(id, PLAN);
        expect((await store.getTask(a!.id))?.gates).toEqual([]);
        const gates = [
          create(QualityGateSchema, {
            taskId: a!.id,
            name: 'lint',
            command: 'npm run lint',
            passed: false,
            summary: 'exit code 1\nmath.js:2: uses var',
            attempt: 1,
          }),
          create(QualityGateSchema, { taskId: a!.id, name: 'skipped-tests', passed: true }),
        ];
        await store.updateTask(a!.id, { gates });
        expect((await store.getTask(a!.id))?.gates).toEqual(gates);
        expect((await store.listTasks(id))[0]?.gates).toEqual(gates);
        await store.updateTask(a!.id, { gates: [] });
        expect((await store.getTask(a!.id))?.gates).toEqual([]);
      });

      it('refuses unknown ids and finishing twice', async () => {
        const { id } = await store.createProject(PROJECT);
        const [a] = await store.savePlan(id, PLAN);
        const attempt = await store.startAttempt(a!.id, 'w1');
        await store.finishAttempt(attempt.id, 'completed');
        await refusal(store.finishAttempt(attempt.id, 'failed'), 'conflict');
        const err = await refusal(store.startAttempt('x', 'w1'), 'not_found');
        expect(err.message).toBe('task "x" does not exist');
        await refusal(store.finishAttempt('x', 'completed'), 'not_found');
        await refusal(store.listAttempts('x'), 'not_found');
      });
    });

    describe('blockers', () => {
      it("opens and resolves a project's own blocker, with no task", async () => {
        const { id: projectId } = await store.createProject(PROJECT);
        await store.savePlan(projectId, PLAN);
        const blocker = await store.createBlocker(projectId, '', 'budget spent');
        expect(blocker).toMatchObject({ projectId, taskId: '', status: BlockerStatus.OPEN });
        expect(await store.listBlockers(projectId, false)).toEqual([blocker]);
        const resolved = await store.answerBlocker(blocker.id, 'raised');
        expect(resolved).toMatchObject({ taskId: '', status: BlockerStatus.RESOLVED });
        expect(await store.listBlockers(projectId, false)).toEqual([]);
      });

      it('opens a blocker, resolves it once and refuses a second answer', async () => {
        const { id: projectId } = await store.createProject(PROJECT);
        const [a, b] = await store.savePlan(projectId, PLAN);
        const blocker = await store.createBlocker(projectId, a!.id, 'Which database?');
        expect(blocker).toMatchObject({
          projectId,
          taskId: a!.id,
          question: 'Which database?',
          answer: '',
          status: BlockerStatus.OPEN,
        });
        expect(blocker.createdAt).toBeDefined();
        expect(blocker.resolvedAt).toBeUndefined();
        const other = await store.createBlocker(projectId, b!.id, 'REST or gRPC?');

        const resolved = await store.answerBlocker(blocker.id, 'PostgreSQL');
        expect(resolved).toMatchObject({ answer: 'PostgreSQL', status: BlockerStatus.RESOLVED });
        expect(resolved.resolvedAt).toBeDefined();
        expect(await store.getBlocker(blocker.id)).toEqual(resolved);

        const again = await refusal(store.answerBlocker(blocker.id, 'SQLite'), 'conflict');
        expect(again.message).toContain('already answered');
        expect((await store.getBlocker(blocker.id))?.answer).toBe('PostgreSQL');

        expect((await store.listBlockers(projectId, false)).map((x) => x.id)).toEqual([other.id]);
        expect((await store.listBlockers(projectId, true)).map((x) => x.id)).toEqual([
          blocker.id,
          other.id,
        ]);
      });

      it('lets exactly one of two racing answers win', async () => {
        const { id: projectId } = await store.createProject(PROJECT);
        const [a] = await store.savePlan(projectId, PLAN);
        const { id } = await store.createBlocker(projectId, a!.id, 'Which database?');
        const results = await Promise.allSettled([
          store.answerBlocker(id, 'PostgreSQL'),
          store.answerBlocker(id, 'SQLite'),
        ]);
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'conflict' });
        const winner = (won[0] as PromiseFulfilledResult<Blocker>).value;
        expect((await store.getBlocker(id))?.answer).toBe(winner.answer);
      });

      it('refuses unknown projects, tasks and blockers', async () => {
        const { id: projectId } = await store.createProject(PROJECT);
        const other = await store.createProject(PROJECT);
        const [a] = await store.savePlan(projectId, PLAN);
        await refusal(store.createBlocker('nope', a!.id, 'q'), 'not_found');
        await refusal(store.createBlocker(projectId, 'nope', 'q'), 'not_found');
        await refusal(store.createBlocker(other.id, a!.id, 'q'), 'not_found');
        const err = await refusal(store.answerBlocker('nope', 'a'), 'not_found');
        expect(err.message).toBe('blocker "nope" does not exist');
        expect(await store.getBlocker('nope')).toBeUndefined();
        await refusal(store.listBlockers('nope', true), 'not_found');
      });
    });

    describe('usage', () => {
      it('sums into the project and, when given, the task', async () => {
        const { id: projectId } = await store.createProject(PROJECT);
        const [a, b] = await store.savePlan(projectId, PLAN);
        await store.addUsage(projectId, undefined, delta());
        await store.addUsage(projectId, a!.id, delta({ costUsd: 0.5 }));
        await store.addUsage(projectId, a!.id, delta({ unpriced: true, calls: 2 }));
        await store.addUsage(projectId, a!.id, delta());

        const project = await store.getProject(projectId);
        expect(project?.usage).toMatchObject({
          inputTokens: 400n,
          outputTokens: 80n,
          cacheReadInputTokens: 20n,
          cacheCreationInputTokens: 12n,
          calls: 5,
          unpriced: true,
        });
        expect(project?.usage?.costUsd).toBeCloseTo(1.25);
        const task = await store.getTask(a!.id);
        expect(task?.usage).toMatchObject({ inputTokens: 300n, calls: 4, unpriced: true });
        expect(task?.usage?.costUsd).toBeCloseTo(1.0);
        expect((await store.getTask(b!.id))?.usage).toMatchObject({ inputTokens: 0n, calls: 0 });
      });

      it('refuses unknown ids and negative amounts, and adds nothing then', async () => {
        const { id: projectId } = await store.createProject(PROJECT);
        await refusal(store.addUsage('nope', undefined, delta()), 'not_found');
        await refusal(store.addUsage(projectId, 'nope', delta()), 'not_found');
        await refusal(store.addUsage(projectId, undefined, delta({ inputTokens: -1 })), 'invalid');
        expect((await store.getProject(projectId))?.usage?.calls).toBe(0);
      });
    });

    describe('events', () => {
      it('numbers events from 1 and fills lastSeq and the project last_seq', async () => {
        const { id } = await store.createProject(PROJECT);
        const other = await store.createProject(PROJECT);
        expect(await store.lastSeq(id)).toBe(0n);
        const first = await store.appendEvent(id, note(1));
        expect(first).toMatchObject({ projectId: id, seq: 1n });
        expect(first.time).toBeDefined();
        expect((await store.appendEvent(id, note(2))).seq).toBe(2n);
        expect((await store.appendEvent(other.id, note(1))).seq).toBe(1n);
        expect((await store.appendEvent(id, note(3))).seq).toBe(3n);
        expect(await store.lastSeq(id)).toBe(3n);
        expect((await store.getProject(id))?.lastSeq).toBe(3n);
        expect(await store.lastSeq(other.id)).toBe(1n);
      });

      it('keeps the binary encoding of each event it appends and reads', async () => {
        const { id } = await store.createProject(PROJECT);
        const appended = await store.appendEvent(id, note(1));
        const [read] = await store.readEvents(id, 0n, 1);
        expect(read).toEqual(appended);
        for (const event of [appended, read!]) {
          const bytes = encodingOf(event);
          expect(bytes && Buffer.from(bytes)).toEqual(Buffer.from(toBinary(EventSchema, event)));
        }
        expect(encodingOf(clone(EventSchema, appended))).toBeUndefined();
      });

      it('stores a payload that came with its encoding as those bytes', async () => {
        const { id } = await store.createProject(PROJECT);
        // As a worker's stream delivers a payload (libs/rpc, received-encodings.ts), with a
        // field this version does not know.
        const bytes = Buffer.concat([
          toBinary(ProgressUpdateSchema, create(ProgressUpdateSchema, { total: 9 })),
          Buffer.from([0xa8, 0x06, 0x07]), // field 101, varint 7
        ]);
        const value = rememberEncoding(fromBinary(ProgressUpdateSchema, bytes), bytes);
        const appended = await store.appendEvent(id, { case: 'progressUpdate', value });
        const [read] = await store.readEvents(id, 0n, 1);
        expect(read).toEqual(appended);
        expect(read!.payload.value).toMatchObject({ total: 9, $unknown: [{ no: 101 }] });
        expect(Buffer.from(encodingOf(read!)!).includes(bytes)).toBe(true);
      });

      it('reads after a seq, ascending, at most limit at a time', async () => {
        const { id } = await store.createProject(PROJECT);
        for (let i = 1; i <= 10; i++) await store.appendEvent(id, note(i));
        const seqs = async (after: bigint, limit: number) =>
          (await store.readEvents(id, after, limit)).map((e) => e.seq);
        expect(await seqs(0n, 4)).toEqual([1n, 2n, 3n, 4n]);
        expect(await seqs(4n, 4)).toEqual([5n, 6n, 7n, 8n]);
        expect(await seqs(8n, 4)).toEqual([9n, 10n]);
        expect(await seqs(10n, 4)).toEqual([]);
        expect(await seqs(0n, 100)).toHaveLength(10);
        expect(await seqs(0n, 0)).toEqual([]);
      });

      it('gives 500 appends issued at once distinct consecutive seqs in call order', async () => {
        const { id } = await store.createProject(PROJECT);
        await store.appendEvent(id, note(0));
        const events = await Promise.all(
          Array.from({ length: 500 }, (_, i) => store.appendEvent(id, note(i + 1))),
        );
        expect(events.map((e) => e.seq)).toEqual(
          Array.from({ length: 500 }, (_, i) => BigInt(i + 2)),
        );
        const stored = await store.readEvents(id, 0n, 1000);
        expect(stored).toHaveLength(501);
        stored.forEach((event, i) => {
          expect(event.payload.case).toBe('progressUpdate');
          expect(event.payload.value).toMatchObject({ total: i });
        });
        expect(await store.lastSeq(id)).toBe(501n);
      });

      it('round-trips payloads, nested messages included', async () => {
        const { id } = await store.createProject(PROJECT);
        const tasks = await store.savePlan(id, PLAN);
        const changed = await store.appendEvent(id, {
          case: 'taskStatusChanged',
          value: create(TaskStatusChangedSchema, {
            taskId: tasks[0]!.id,
            from: TaskStatus.PENDING,
            to: TaskStatus.ASSIGNED,
            reason: 'dispatched',
            attempt: 1,
          }),
        });
        const ready = await store.appendEvent(id, {
          case: 'planReady',
          value: create(PlanReadySchema, { tasks }),
        });
        const [readChanged, readReady] = await store.readEvents(id, 0n, 10);
        expect(readChanged).toEqual(changed);
        expect(readReady).toEqual(ready);
        expect(readReady?.payload.case === 'planReady' && readReady.payload.value.tasks).toEqual(
          tasks,
        );
        expect(readChanged?.payload).toMatchObject({
          case: 'taskStatusChanged',
          value: { reason: 'dispatched', to: TaskStatus.ASSIGNED },
        });
      });

      it('refuses unknown projects and events without a payload', async () => {
        const { id } = await store.createProject(PROJECT);
        const err = await refusal(store.appendEvent('nope', note(1)), 'not_found');
        expect(err.message).toBe('project "nope" does not exist');
        await refusal(store.appendEvent(id, { case: undefined } as never), 'invalid');
        await refusal(store.readEvents('nope', 0n, 10), 'not_found');
        await refusal(store.lastSeq('nope'), 'not_found');
        expect(await store.lastSeq(id)).toBe(0n);
      });

      it('does not let a bad append in a batch fail the good ones', async () => {
        const { id } = await store.createProject(PROJECT);
        const results = await Promise.allSettled([
          store.appendEvent(id, note(1)),
          store.appendEvent('nope', note(2)),
          store.appendEvent(id, note(3)),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect(await store.lastSeq(id)).toBe(2n);
      });
    });

    describe('events with what they report', () => {
      const moved = (taskId: string, from: TaskStatus, to: TaskStatus): EventPayload => ({
        case: 'taskStatusChanged',
        value: create(TaskStatusChangedSchema, { taskId, from, to, reason: 'r' }),
      });

      it('writes a task change and a project status in the event transaction', async () => {
        const { id } = await store.createProject(PROJECT);
        const [a] = await store.savePlan(id, PLAN);
        const { PENDING, ASSIGNED } = TaskStatus;
        const event = await store.appendEvent(id, moved(a!.id, PENDING, ASSIGNED), {
          task: { id: a!.id, patch: { status: ASSIGNED, error: 'e' }, whileStatus: PENDING },
          projectStatus: ProjectStatus.RUNNING,
        });
        expect(event.seq).toBe(1n);
        expect(await store.getTask(a!.id)).toMatchObject({ status: ASSIGNED, error: 'e' });
        expect((await store.getProject(id))?.status).toBe(ProjectStatus.RUNNING);
      });

      it('writes neither when the task moved on, is unknown or of another project', async () => {
        const { id } = await store.createProject(PROJECT);
        const other = await store.createProject(PROJECT);
        const [a] = await store.savePlan(id, PLAN);
        const [elsewhere] = await store.savePlan(other.id, PLAN);
        const { PENDING, ASSIGNED, IN_PROGRESS } = TaskStatus;
        const results = await Promise.allSettled([
          store.appendEvent(id, note(1)),
          // Written only while the task is ASSIGNED; it is PENDING.
          store.appendEvent(id, moved(a!.id, ASSIGNED, IN_PROGRESS), {
            task: { id: a!.id, patch: { status: IN_PROGRESS }, whileStatus: ASSIGNED },
            projectStatus: ProjectStatus.FAILED,
          }),
          store.appendEvent(id, note(2), { task: { id: 'nope', patch: { error: 'x' } } }),
          store.appendEvent(id, note(3), { task: { id: elsewhere!.id, patch: { error: 'x' } } }),
          store.appendEvent(id, note(4)),
        ]);
        expect(results.map((r) => r.status)).toEqual([
          'fulfilled',
          'rejected',
          'rejected',
          'rejected',
          'fulfilled',
        ]);
        const [, conflict, unknown, foreign] = results.map((r) =>
          r.status === 'rejected' ? (r.reason as StoreError) : undefined,
        );
        expect(conflict).toMatchObject({ code: 'conflict' });
        expect(conflict?.message).toBe(
          `task "${a!.id}" of project "${id}" is PENDING now, not ASSIGNED: nothing was written`,
        );
        expect(unknown).toMatchObject({ code: 'not_found', message: 'task "nope" does not exist' });
        expect(foreign).toMatchObject({ code: 'not_found' });
        // Gap-free: the refused ones took no seq; and nothing of theirs was written.
        expect((await store.readEvents(id, 0n, 10)).map((e) => e.seq)).toEqual([1n, 2n]);
        expect(await store.getTask(a!.id)).toMatchObject({ status: PENDING, error: '' });
        expect((await store.getTask(elsewhere!.id))?.error).toBe('');
        expect((await store.getProject(id))?.status).toBe(ProjectStatus.CREATED);
      });
    });
  });
}
