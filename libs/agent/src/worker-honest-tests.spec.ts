import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Brain, toolUse } from '@codeframe/fake-anthropic';
import { TaskKind } from '@codeframe/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  doing,
  git,
  type Json,
  outcome,
  repoMaker,
  runTask,
  startTestWorker,
  type TestWorker,
} from './test-worker.fixture.js';

// Green on nothing does not pass: a run of no tests, a run that lost the base's tests, a
// test task whose tests did not run.

const testFile = (name: string, body: string) =>
  `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest('${name}', () => { ${body} });\n`;
const MODULE = { 'package.json': '{ "type": "module" }\n' };
const PASSING = testFile('passes', 'assert.equal(1, 1);');
const FAILING = testFile('fails', 'assert.equal(1, 2);');

describe('the test gate at finish', () => {
  let dir: string;
  let backend: TestWorker;
  let tester: TestWorker;
  let repo: ReturnType<typeof repoMaker>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-honest-'));
    backend = await startTestWorker(join(dir, 'b'), { brain: doing() });
    tester = await startTestWorker(join(dir, 't'), { brain: doing(), kind: TaskKind.TEST });
    repo = repoMaker(dir);
  });
  afterAll(async () => {
    await Promise.all([backend?.close(), tester?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (
    worker: TestWorker,
    brain: Brain,
    task: Json,
    files?: Record<string, string>,
  ) => {
    const { events, ...ran } = await runTask(worker, repo, brain, task, files);
    const activity = events
      .map((e) => (e.activityUpdate as Json | undefined)?.message)
      .filter(Boolean)
      .join('\n');
    return { ...ran, activity };
  };

  it('does not pass a worktree with no tests, and tells the model why', async () => {
    const { result, sent } = await run(
      backend,
      doing(
        toolUse('write_file', { path: 'package.json', content: MODULE['package.json'] }),
        toolUse('write_file', {
          path: 'math.js',
          content: 'export const add = (a, b) => a + b;\n',
        }),
      ),
      { id: 'no-tests', title: 'Add add()' },
    );
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'no test ran after 3 correction attempts',
    });
    expect(sent[1]).toMatch(
      /The tests did not run: `node --test` exited 0 but reported no passing test/,
    );
  });

  it('does not pass when a failing test of the base was deleted', async () => {
    const { result, activity, sent } = await run(
      backend,
      doing(toolUse('run_command', { command: 'rm broken.test.js' })),
      { id: 'deleted', title: 'Make the tests pass' },
      { ...MODULE, 'ok.test.js': PASSING, 'broken.test.js': FAILING },
    );
    expect(activity).toMatch(
      /measuring the base's tests while the model starts \(its tools wait for them\): node --test/,
    );
    expect(activity).toMatch(/the base has 1 passing and 1 failing tests/);
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'fewer tests pass (1) than the base had (2) after 3 correction attempts',
    });
    expect(sent[1]).toMatch(/the base had 2 tests \(1 passing, 1 failing\) and now 1 pass/);
  });

  it("does not pass a retry that continues an earlier attempt's deletion of a failing test", async () => {
    // Attempt 1 deleted the failing test and ran out of turns; its work is kept on a branch
    // and the retry starts from it. The gate still counts main's tests, not the attempt's.
    backend.brain = doing();
    const bare = repo({ ...MODULE, 'ok.test.js': PASSING, 'broken.test.js': FAILING });
    const path = bare.slice('file://'.length);
    const work = join(dir, 'attempt-work');
    git(['clone', '-q', path, work]);
    git(['-C', work, 'rm', '-q', 'broken.test.js']);
    git(['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'wip']);
    git(['-C', work, 'push', '-q', 'origin', 'HEAD:refs/heads/attempts/kept/1']);
    const { events } = await backend.execute({
      task: { id: 'kept', title: 'Make the tests pass' },
      repoUrl: bare,
      baseRef: 'attempts/kept/1',
      attempt: 2,
      previousAttempt: {
        number: 1,
        outcome: 'failed',
        error: 'the model used all 10 turns without finishing',
        branch: 'attempts/kept/1',
      },
    } as Json);
    const activity = events
      .map((e) => (e.activityUpdate as Json | undefined)?.message)
      .filter(Boolean)
      .join('\n');
    expect(activity).toMatch(/measuring the base's tests on main at [0-9a-f]{12}/);
    expect(activity).toMatch(/the base has 1 passing and 1 failing tests/);
    expect(outcome(events)).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'fewer tests pass (1) than the base had (2) after 3 correction attempts',
    });
  });

  it('passes a deletion the task asks for, and the normal path with the base tests kept', async () => {
    const base = { ...MODULE, 'ok.test.js': PASSING, 'old.test.js': PASSING };
    const removed = await run(
      backend,
      doing(toolUse('run_command', { command: 'rm old.test.js' })),
      { id: 'removal', title: 'Remove the obsolete tests of old.js' },
      base,
    );
    expect(removed.result).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    const added = await run(
      backend,
      doing(toolUse('write_file', { path: 'more.test.js', content: PASSING })),
      { id: 'normal', title: 'Add a feature' },
      base,
    );
    expect(added.result).toMatchObject({
      outcome: 'TASK_OUTCOME_COMPLETED',
      correctionAttempts: 0,
    });
    expect(
      git(['--git-dir', added.bare.slice('file://'.length), 'show', 'task/normal:more.test.js']),
    ).toBe(PASSING.trim());
  });

  it("asks the model while the base's tests run, and runs its tools only after them", async () => {
    // The base's one test ends only once the worktree holds `released`, which the model's
    // first call writes there: run before the model, it would wait in vain and fail.
    const waiting = [
      "import { test } from 'node:test';",
      "import { existsSync } from 'node:fs';",
      "test('waits for the model', async () => {",
      "  for (let i = 0; i < 300 && !existsSync('released'); i++) await new Promise((r) => setTimeout(r, 50));",
      "  if (!existsSync('released')) throw new Error('the model was not asked while the tests ran');",
      '});',
      '',
    ].join('\n');
    const worktrees = join(dir, 'b', 'work', 'worktrees');
    const released: Brain = async (req, context) => {
      if (req.messages.length === 1)
        for (const name of await readdir(worktrees))
          await writeFile(join(worktrees, name, 'released'), '');
      return doing(toolUse('write_file', { path: 'more.test.js', content: PASSING }))(req, context);
    };
    const { result, activity } = await run(
      backend,
      released,
      { id: 'overlap', title: 'Add a feature' },
      { ...MODULE, 'wait.test.js': waiting },
    );
    expect(activity).toMatch(/the base has 1 passing and 0 failing tests/);
    // The tool ran after the base's count, not during its run.
    expect(activity.indexOf('the base has')).toBeLessThan(
      activity.indexOf('write_file more.test.js'),
    );
    expect(result).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED', correctionAttempts: 0 });
  });

  it('does not pass a test task that adds no tests, and passes one whose new test ran', async () => {
    const base = { ...MODULE, 'ok.test.js': PASSING };
    const none = await run(tester, doing(), { id: 'lazy', title: 'Test add()' }, base);
    expect(none.result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'no new test ran (1 pass, the base had 1) after 3 correction attempts',
    });
    expect(none.sent[1]).toMatch(/Your new tests did not run: 1 tests pass and the base had 1/);
    const added = await run(
      tester,
      doing(toolUse('write_file', { path: 'edge.test.js', content: PASSING })),
      { id: 'diligent', title: 'Test add()' },
      base,
    );
    expect(added.result).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
  });
});
