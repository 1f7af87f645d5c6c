// A main that stays green: after each merge the lead has a worker run the project's tests on
// a fresh checkout of main. Two tasks that pass alone but break main together: the second
// merge is caught, main goes back, the task runs again on the new main with the failing
// output, and only then do dependents start. A merge that keeps breaking main ends in a
// blocker with the output, never in COMPLETED.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  type Brain,
  firstUserText,
  idle,
  passingTest,
  planTask,
  toolUse,
} from '@codeframe/fake-anthropic';
import { type Event, ProjectStatus, TaskStatus } from '@codeframe/proto';
import { type Cluster, projectEnded, startCluster, watchUntil } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PKG = toolUse('write_file', { path: 'package.json', content: '{ "type": "module" }\n' });
const nodeTest = (name: string, body: string) =>
  `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { existsSync, readdirSync, readFileSync } from 'node:fs';\ntest(${JSON.stringify(name)}, () => { ${body} });\n`;
/** Each task's first test: its feature is the only one. Alone it passes; with both, both fail. */
const onlyFeature = (key: string) =>
  toolUse('write_file', {
    path: `${key}.test.js`,
    content: nodeTest(
      `${key} is the only feature`,
      `assert.deepEqual(readdirSync('.').filter((f) => f.endsWith('.feature.js')), ['${key}.feature.js']);`,
    ),
  });
const hasFeature = (key: string) =>
  toolUse('write_file', {
    path: `${key}.test.js`,
    content: nodeTest(`${key} is there`, `assert.ok(existsSync('${key}.feature.js'));`),
  });
const feature = (key: string) =>
  toolUse('write_file', { path: `${key}.feature.js`, content: `export const ${key} = true;\n` });

const PLANS: Record<string, unknown> = {
  pair: {
    tasks: [
      planTask('alpha', [], 'backend'),
      planTask('beta', [], 'frontend'),
      planTask('report', ['alpha', 'beta'], 'test'),
    ],
  },
  fixture: { tasks: [planTask('fixture', [], 'backend')] },
};

/** Resolves once alpha's and beta's first attempts both called the model: both checked out
 * the same main, so each passes alone and neither sees the other. */
function barrier() {
  const seen = new Set<string>();
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return {
    async arrive(key: string, signal: AbortSignal) {
      seen.add(key);
      if (seen.has('alpha') && seen.has('beta')) open();
      await Promise.race([opened, idle(60_000, signal)]);
    },
  };
}
const together = barrier();

const brain: Brain = async (request, ctx) => {
  if (JSON.stringify(request.tools ?? []).includes('submit_plan')) {
    const which = JSON.stringify(request.messages).includes('fixture') ? 'fixture' : 'pair';
    return { content: [toolUse('submit_plan', PLANS[which] as Record<string, unknown>)] };
  }
  if (request.messages.length > 1) return { content: [toolUse('finish', { summary: 'done' })] };
  const prompt = firstUserText(request);
  const key = /# Task ([\w-]+):/.exec(prompt)?.[1] ?? '';
  const again = prompt.includes('previous attempt');
  if (key === 'alpha' || key === 'beta') {
    if (!again) {
      await together.arrive(key, ctx.signal);
      return { content: [PKG, feature(key), onlyFeature(key)] };
    }
    // Told why main went red: each test now checks its own feature only.
    return { content: [feature(key), hasFeature('alpha'), hasFeature('beta')] };
  }
  if (key === 'report') {
    // Built on the green main that has both features.
    return {
      content: [
        toolUse('write_file', {
          path: 'report.test.js',
          content: nodeTest(
            'both',
            "assert.ok(existsSync('alpha.feature.js') && existsSync('beta.feature.js'));",
          ),
        }),
      ],
    };
  }
  if (key === 'fixture') {
    // Its test reads a file in node_modules, which is never committed: green in its own
    // checkout, red on a fresh one, every time (it ignores what it is told).
    return {
      content: [
        PKG,
        toolUse('write_file', { path: 'node_modules/fixture.json', content: '{"ok":true}\n' }),
        toolUse('write_file', {
          path: 'fixture.test.js',
          content: nodeTest(
            'reads the fixture',
            "assert.equal(JSON.parse(readFileSync('node_modules/fixture.json', 'utf8')).ok, true);",
          ),
        }),
        passingTest('fixture-other'),
      ],
    };
  }
  return { content: [toolUse('finish', { summary: `unknown task ${key}` })] };
};

const git = (args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
const verifications = (events: Event[]) =>
  events.flatMap((e) => (e.payload.case === 'mainVerified' ? [e.payload.value] : []));

describe('a main that stays green', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await startCluster(brain);
  }, 120_000);
  afterAll(() => cluster?.stop());

  const bareOf = (projectId: string) => join(cluster.dir, 'lead', 'repos', `${projectId}.git`);

  it('keeps the second merge out of main, re-runs the task on the new main, and completes green', async () => {
    const { project } = await cluster.client.createProject({ prd: '# Pair\nTwo features.' });
    const projectId = project!.id;
    await cluster.client.startProject({ projectId });
    const events = await watchUntil(cluster, projectId, 0n, projectEnded, 150_000);
    const { tasks } = await cluster.client.listTasks({ projectId });
    const idOf = (key: string) => tasks.find((t) => t.key === key)!.id;
    const keyOf = (id: string) => tasks.find((t) => t.id === id)!.key;

    // The second of alpha and beta to merge is red: caught, and main never takes it.
    const checks = verifications(events);
    const red = checks.filter((v) => !v.passed);
    expect(red).toHaveLength(1);
    expect(red[0]).toMatchObject({ reverted: true, tests: { failed: 2 } });
    expect(red[0]!.tests!.output).toContain('is the only feature');
    const second = keyOf(red[0]!.taskId);
    expect(['alpha', 'beta']).toContain(second);
    const first = second === 'alpha' ? 'beta' : 'alpha';
    // ... which ran again on the new main, told the failing output.
    const rerun = cluster.fake.requests
      .map((r) => firstUserText(r.body))
      .find((p) => p.includes(`# Task ${second}:`) && p.includes('previous attempt'));
    expect(rerun).toContain('main stays at');
    expect(rerun).toContain('is the only feature');
    const statuses = events.flatMap((e) =>
      e.payload.case === 'taskStatusChanged' && e.payload.value.taskId === idOf(second)
        ? [TaskStatus[e.payload.value.to]]
        : [],
    );
    expect(statuses.filter((s) => s === 'COMPLETED')).toHaveLength(1);
    expect(statuses.at(-1)).toBe('COMPLETED');

    // Every commit main ever pointed to after a merge was green; the red one is not in its history.
    const history = git(['--git-dir', bareOf(projectId), 'rev-list', '--first-parent', 'main']);
    const green = new Set(checks.filter((v) => v.passed).map((v) => v.commitSha));
    const merges = history.split('\n').slice(0, -1);
    expect(merges).toHaveLength(3);
    for (const sha of merges) expect(green.has(sha)).toBe(true);
    expect(history).not.toContain(red[0]!.commitSha);
    expect(
      git(['--git-dir', bareOf(projectId), 'ls-tree', '--name-only', 'main']).split('\n'),
    ).toEqual(expect.arrayContaining(['alpha.feature.js', 'beta.feature.js', 'report.test.js']));

    // No dependent started before both were merged on a green main.
    const seqOf = (match: (e: Event) => boolean) => events.find(match)!.seq;
    const reportAssigned = seqOf(
      (e) => e.payload.case === 'taskAssigned' && e.payload.value.taskId === idOf('report'),
    );
    const rerunGreen = seqOf(
      (e) =>
        e.payload.case === 'mainVerified' &&
        e.payload.value.taskId === idOf(second) &&
        e.payload.value.passed,
    );
    expect(reportAssigned).toBeGreaterThan(rerunGreen);
    expect(first).not.toBe(second);
    // ... and it took the verification's run of that main as its base's tests, not running
    // them again: the lead sent it with the task.
    const reportActivity = events.flatMap((e) =>
      e.payload.case === 'activityUpdate' && e.payload.value.taskId === idOf('report')
        ? [e.payload.value.message]
        : [],
    );
    const tip = checks.findLast((v) => v.passed && v.taskId === idOf(second))!.commitSha;
    expect(reportActivity).toContain(
      `the base's tests (node --test) were run when the lead verified main at ${tip.slice(0, 12)}`,
    );
    expect(reportActivity.some((m) => m.startsWith("measuring the base's tests"))).toBe(false);

    // The final status says main is green on a fresh checkout, with the counts.
    const final = events.at(-1)!.payload;
    expect(final.case).toBe('projectStatus');
    if (final.case !== 'projectStatus') return;
    expect(ProjectStatus[final.value.status]).toBe('COMPLETED');
    expect(final.value.main).toMatchObject({ passed: true, tests: { passed: 3, failed: 0 } });
    expect(final.value.main!.commitSha).toBe(
      git(['--git-dir', bareOf(projectId), 'rev-parse', 'main']),
    );
    expect(final.value.reason).toContain('main is green');
  }, 180_000);

  it('turns a merge that breaks main again after its re-run into a blocker with the output', async () => {
    const { project } = await cluster.client.createProject({ prd: '# A fixture task' });
    const projectId = project!.id;
    const start = git(['--git-dir', bareOf(projectId), 'rev-parse', 'main']);
    await cluster.client.startProject({ projectId });
    const events = await watchUntil(
      cluster,
      projectId,
      0n,
      (e) => e.payload.case === 'blockerCreated',
      150_000,
    );
    const checks = verifications(events);
    expect(checks).toHaveLength(2);
    for (const check of checks) expect(check).toMatchObject({ passed: false, reverted: true });
    const blocker = events.at(-1)!.payload;
    if (blocker.case !== 'blockerCreated') throw new Error('expected a blocker');
    expect(blocker.value.blocker!.question).toContain('again after a re-run on the new main');
    expect(blocker.value.blocker!.question).toContain('ENOENT');
    // main never kept the red merge, and the project is not COMPLETED.
    expect(git(['--git-dir', bareOf(projectId), 'rev-parse', 'main'])).toBe(start);
    const { tasks } = await cluster.client.listTasks({ projectId });
    expect(TaskStatus[tasks[0]!.status]).toBe('BLOCKED');
    const { project: now } = await cluster.client.getProject({ projectId });
    expect(ProjectStatus[now!.status]).toBe('RUNNING');
  }, 180_000);
});
