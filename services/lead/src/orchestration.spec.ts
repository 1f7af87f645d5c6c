import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type Brain, lastToolResults, text, toolUse } from '@codeframe/fake-anthropic';
import { type Event, LeadService, ProjectStatus, TaskStatus } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import { type Cluster, projectEnded, type ServiceProcess, startCluster } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PLAN = {
  tasks: [
    {
      key: 'math',
      title: 'Add add()',
      description: 'math.js',
      kind: 'backend',
      depends_on: [],
      acceptance_criteria: ['add(2,3) is 5'],
    },
    {
      key: 'format',
      title: 'Add shout()',
      description: 'format.js',
      kind: 'frontend',
      depends_on: [],
      acceptance_criteria: ['shout("a") is "A!"'],
    },
    {
      key: 'suite',
      title: 'Test both together',
      description: 'suite.test.js',
      kind: 'test',
      depends_on: ['math', 'format'],
      acceptance_criteria: ['runs both'],
    },
  ],
};

const pkg = toolUse('write_file', { path: 'package.json', content: '{ "type": "module" }\n' });
const testOf = (file: string, body: string) =>
  `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\n${file}\ntest('works', () => { ${body} });\n`;

/** Plans three tasks, then plays each worker: math gets it wrong first and corrects itself. */
const brain: Brain = async (request) => {
  if (JSON.stringify(request.tools ?? []).includes('submit_plan'))
    return { content: [toolUse('submit_plan', PLAN)] };
  const first = JSON.stringify(request.messages[0]?.content);
  const key = /# Task ([\w-]+):/.exec(first)?.[1];
  const failed = lastToolResults(request).some((r) => r.isError && /tests failed/i.test(r.text));
  // Slow enough that independent tasks visibly overlap.
  await new Promise((resolve) => setTimeout(resolve, 300));
  if (request.messages.length > 1 && !failed)
    return { content: [toolUse('finish', { summary: 'done' })] };
  if (key === 'math') {
    if (failed)
      return {
        content: [
          toolUse('edit_file', { path: 'math.js', old_text: 'a - b', new_text: 'a + b' }),
          toolUse('finish', { summary: 'fixed' }),
        ],
      };
    return {
      content: [
        pkg,
        toolUse('write_file', {
          path: 'math.js',
          content: 'export const add = (a, b) => a - b;\n',
        }),
        toolUse('write_file', {
          path: 'math.test.js',
          content: testOf("import { add } from './math.js';", 'assert.equal(add(2, 3), 5);'),
        }),
        toolUse('finish', { summary: 'add()' }),
      ],
    };
  }
  if (key === 'format') {
    return {
      content: [
        pkg,
        toolUse('write_file', {
          path: 'format.js',
          content: "export const shout = (s) => s.toUpperCase() + '!';\n",
        }),
        toolUse('write_file', {
          path: 'format.test.js',
          content: testOf(
            "import { shout } from './format.js';",
            "assert.equal(shout('a'), 'A!');",
          ),
        }),
        toolUse('finish', { summary: 'shout()' }),
      ],
    };
  }
  if (key === 'suite') {
    return {
      content: [
        toolUse('write_file', {
          path: 'suite.test.js',
          content: testOf(
            "import { add } from './math.js';\nimport { shout } from './format.js';",
            "assert.equal(shout(String(add(1, 1))), '2!');",
          ),
        }),
        toolUse('finish', { summary: 'suite' }),
      ],
    };
  }
  return { content: [text(`unknown task ${key}`)] };
};

describe('the lead with three workers and fake-anthropic', () => {
  let cluster: Cluster;
  let lead: ServiceProcess;
  let dir: string;
  beforeAll(async () => {
    cluster = await startCluster(brain);
    lead = cluster.lead;
    dir = cluster.dir;
  });
  afterAll(() => cluster?.stop());

  it('plans, runs independent tasks at once, corrects, merges every task into main', async () => {
    const client = createRpcClient(LeadService, { baseUrl: `http://127.0.0.1:${lead.port}` });
    const { project } = await client.createProject({
      prd: '# Tiny\nA math module, a formatter, and a test of both.',
    });
    const projectId = project!.id;
    await client.startProject({ projectId });
    const events: Event[] = [];
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 90_000);
    for await (const event of client.watchEvents(
      { projectId, afterSeq: 0n },
      { signal: controller.signal },
    )) {
      events.push(event);
      if (projectEnded(event)) break;
    }
    clearTimeout(timer);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => BigInt(i + 1)));
    const final = events.at(-1)?.payload;
    expect(final?.case === 'projectStatus' && ProjectStatus[final.value.status]).toBe('COMPLETED');
    // Workers on the lead's machine use the repository's path, not the lead's git endpoint
    // (across-hosts.spec.ts has workers on other hosts, which use it).
    expect(lead.logs.filter((line) => line.msg === 'git push')).toEqual([]);
    const { tasks } = await client.listTasks({ projectId });
    expect(tasks.map((t) => [t.key, TaskStatus[t.status]])).toEqual([
      ['math', 'COMPLETED'],
      ['format', 'COMPLETED'],
      ['suite', 'COMPLETED'],
    ]);

    // math and format ran at the same time; suite started after both were merged.
    const idOf = (key: string) => tasks.find((t) => t.key === key)!.id;
    const seqOf = (key: string, to: TaskStatus) =>
      events.find(
        (e) =>
          e.payload.case === 'taskStatusChanged' &&
          e.payload.value.taskId === idOf(key) &&
          e.payload.value.to === to,
      )!.seq;
    expect(seqOf('format', TaskStatus.ASSIGNED)).toBeLessThan(seqOf('math', TaskStatus.COMPLETED));
    expect(seqOf('math', TaskStatus.ASSIGNED)).toBeLessThan(seqOf('format', TaskStatus.COMPLETED));
    expect(seqOf('suite', TaskStatus.ASSIGNED)).toBeGreaterThan(
      seqOf('math', TaskStatus.COMPLETED),
    );
    expect(seqOf('suite', TaskStatus.ASSIGNED)).toBeGreaterThan(
      seqOf('format', TaskStatus.COMPLETED),
    );
    expect(events.some((e) => e.payload.case === 'correctionAttempt')).toBe(true);

    // main holds one merge per task, and the project's own tests pass on it.
    const repo = join(dir, 'lead', 'repos', `${projectId}.git`);
    const merges = execFileSync(
      'git',
      ['--git-dir', repo, 'log', '--merges', '--format=%s', 'main'],
      { encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(merges).toHaveLength(3);
    const checkout = join(dir, 'checkout');
    execFileSync('git', ['clone', '-q', repo, checkout]);
    const run = execFileSync('node', ['--test'], { cwd: checkout, encoding: 'utf8' });
    expect(run).toMatch(/# pass 3/);

    // Watching again from 0 returns exactly the log; from a seq, exactly the rest.
    const last = events.at(-1)!.seq;
    const watchUntil = async (afterSeq: bigint) => {
      const seen: bigint[] = [];
      for await (const event of client.watchEvents({ projectId, afterSeq })) {
        seen.push(event.seq);
        if (event.seq >= last) break;
      }
      return seen;
    };
    expect(await watchUntil(0n)).toEqual(events.map((e) => e.seq));
    expect(await watchUntil(10n)).toEqual(events.slice(10).map((e) => e.seq));

    // Progress is published when it changes, not on every scheduling pass.
    const progress = events.flatMap((e) =>
      e.payload.case === 'progressUpdate' ? [JSON.stringify(e.payload.value)] : [],
    );
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.filter((p, i) => p === progress[i - 1])).toEqual([]);

    // A late joiner's snapshot: every task, at a seq no older than what it reflects.
    const snapshot = await client.getProjectSnapshot({ projectId });
    expect(snapshot.seq).toBeGreaterThanOrEqual(last);
    expect(snapshot.tasks.map((t) => TaskStatus[t.status])).toEqual([
      'COMPLETED',
      'COMPLETED',
      'COMPLETED',
    ]);
  }, 120_000);
});
