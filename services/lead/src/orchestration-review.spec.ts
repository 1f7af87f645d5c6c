// The independent review, end to end: the lead reads a completed task's diff with a
// reviewer's prompt before merging it; changes it asks for go back to the task, bounded;
// a reply that is no verdict never merges; a project with review off merges unreviewed.
import { execFileSync } from 'node:child_process';
import { type Brain, firstUserText, planTask, text, toolUse } from '@codeframe/fake-anthropic';
import { type Event, ProjectStatus, TaskStatus } from '@codeframe/proto';
import { type Cluster, projectEnded, startCluster, watchUntil } from '@codeframe/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const ADD = 'export const add = (a, b) => a + b;\n';
const POSITIVE = '  assert.equal(add(1, 2), 3);\n';
const NEGATIVE = '  assert.equal(add(-2, 1), -1);\n';
const testFile = (cases: string) =>
  `import assert from 'node:assert/strict';\nimport { test } from 'node:test';\nimport { add } from './add.js';\ntest('add', () => {\n${cases}});\n`;
const COMMENT = 'add a test for negative numbers: add(-2, 1) is -1';

/** The first user message of every engineer's request (not the planner's or reviewer's). */
let engineer: string[] = [];
/** The first user message of every review request. */
let reviews: string[] = [];

/** Plans one task "adder". The engineer writes add.js with a positive test, and the negative
 * case too once told to; the reviewer (scenario) reads the diff it is sent. */
const brain: Brain = (request) => {
  const first = firstUserText(request);
  const tools = JSON.stringify(request.tools ?? []);
  if (tools.includes('submit_plan')) {
    return {
      content: [
        toolUse('submit_plan', {
          tasks: [{ ...planTask('adder'), acceptance_criteria: ['add handles negative numbers'] }],
        }),
      ],
    };
  }
  if (tools.includes('submit_review')) {
    if (request.messages.length === 1) reviews.push(first);
    const scenario = SCENARIO;
    if (scenario === 'garbled') return { content: [text('Looks fine to me!')] };
    const tested = first.includes('+  assert.equal(add(-2, 1), -1);');
    if (scenario === 'fix' && tested) {
      return {
        content: [
          toolUse('submit_review', {
            verdict: 'approve',
            summary: 'Both cases tested.',
            comments: [],
          }),
        ],
      };
    }
    return {
      content: [
        toolUse('submit_review', {
          verdict: 'request_changes',
          summary: 'The negative case is untested.',
          comments: [{ path: 'add.test.js', line: 5, body: COMMENT }],
        }),
      ],
    };
  }
  if (request.messages.length > 1) return { content: [toolUse('finish', { summary: 'add' })] };
  engineer.push(first);
  const asked = first.includes(COMMENT);
  return {
    content: [
      toolUse('write_file', { path: 'add.js', content: ADD }),
      toolUse('write_file', {
        path: 'add.test.js',
        content: testFile(asked ? POSITIVE + NEGATIVE : POSITIVE),
      }),
    ],
  };
};

let SCENARIO = '';
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
  engineer = [];
  reviews = [];
});

const settled = (e: Event) =>
  projectEnded(e) ||
  (e.payload.case === 'taskStatusChanged' && e.payload.value.to === TaskStatus.BLOCKED);
const verdicts = (events: Event[]) =>
  events.flatMap((e) => (e.payload.case === 'reviewCompleted' ? [e.payload.value] : []));
const gitIn = (repo: string, args: string[]) =>
  execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8' }).trim();

async function run(scenario: string, leadEnv: Record<string, string>, review?: boolean) {
  SCENARIO = scenario;
  cluster = await startCluster(brain, {}, { leadEnv });
  const c = cluster;
  const { project } = await c.client.createProject({ prd: `# Adder\n${scenario}`, review });
  await c.client.startProject({ projectId: project!.id });
  const events = await watchUntil(c, project!.id, 0n, settled);
  const { tasks } = await c.client.listTasks({ projectId: project!.id });
  return {
    c,
    events,
    task: tasks[0]!,
    project: project!,
    repo: `${c.dir}/lead/repos/${project!.id}.git`,
  };
}

describe('review before the merge', () => {
  it('sends a change back with its comment; the second attempt addresses it and merges', async () => {
    const { c, events, task, repo } = await run('fix', { CODEFRAME_REVIEW: 'on' });
    expect(events.at(-1)?.payload.value).toMatchObject({ status: ProjectStatus.COMPLETED });
    const [asked, approved, ...more] = verdicts(events);
    expect(more).toHaveLength(0);
    expect(asked).toMatchObject({ taskId: task.id, attempt: 1, approved: false });
    expect(asked!.summary).toBe('The negative case is untested.');
    expect(asked!.comments).toMatchObject([{ path: 'add.test.js', line: 5, body: COMMENT }]);
    expect(approved).toMatchObject({ taskId: task.id, attempt: 2, approved: true });
    // The reviewer read the task, its criteria, its tests and the diff against main.
    expect(reviews).toHaveLength(2);
    expect(reviews[0]).toContain('# Review of task adder: Task adder');
    expect(reviews[0]).toContain('- add handles negative numbers');
    expect(reviews[0]).toMatch(/## Tests\n`.*`.*1 passed, 0 failed/);
    expect(reviews[0]).toContain('+++ b/add.js');
    expect(reviews[0]).toContain('+export const add = (a, b) => a + b;');
    // The second attempt started from the first one's work, told what the review asked.
    expect(engineer).toHaveLength(2);
    expect(engineer[0]).not.toContain('review');
    expect(engineer[1]).toContain('asked for changes');
    expect(engineer[1]).toContain(`- add.test.js:5: ${COMMENT}`);
    expect(engineer[1]).toContain(
      `This checkout starts from its work (branch attempts/${task.id}/1)`,
    );
    // Nothing merged before the approval; the approved work is on main.
    const merges = events.filter(
      (e) => e.payload.case === 'commitCreated' && e.payload.value.branch === 'main',
    );
    expect(merges).toHaveLength(1);
    expect(events.indexOf(merges[0]!)).toBeGreaterThan(
      events.findLastIndex((e) => e.payload.case === 'reviewCompleted'),
    );
    expect(gitIn(repo, ['show', 'main:add.test.js'])).toContain('add(-2, 1)');
    // The reviews' calls count in the task's usage.
    const done = (await c.client.getTask({ taskId: task.id })).task!;
    expect(done.status).toBe(TaskStatus.COMPLETED);
    const engineerCalls = c.fake.requests.filter((r) => {
      const tools = JSON.stringify(r.body.tools ?? []);
      return !tools.includes('submit_plan') && !tools.includes('submit_review');
    }).length;
    expect(done.usage?.calls).toBe(engineerCalls + 2);
    const reviewUsage = events.filter(
      (e, i) =>
        e.payload.case === 'tokenUsage' && events[i + 1]?.payload.case === 'reviewCompleted',
    );
    expect(reviewUsage).toHaveLength(2);
  }, 120_000);

  it('a reviewer that never approves ends in a blocker with its last comments, unmerged', async () => {
    const { events, task, repo } = await run('stubborn', {
      CODEFRAME_REVIEW: 'on',
      CODEFRAME_REVIEW_MAX_ROUNDS: '1',
    });
    expect(verdicts(events).map((v) => [v.attempt, v.approved])).toEqual([
      [1, false],
      [2, false],
    ]);
    const blocker = events.find((e) => e.payload.case === 'blockerCreated');
    expect(blocker?.payload.value).toMatchObject({ blocker: { taskId: task.id } });
    const question = (blocker!.payload.value as { blocker: { question: string } }).blocker.question;
    expect(question).toContain('still asks for changes after 2 reviews');
    expect(question).toContain(`- add.test.js:5: ${COMMENT}`);
    expect(task.status).toBe(TaskStatus.BLOCKED);
    expect(() => gitIn(repo, ['show', 'main:add.js'])).toThrow();
  }, 120_000);

  it('a reply that is no verdict is asked once more, then a blocker: never a merge', async () => {
    const { events, task, repo } = await run('garbled', { CODEFRAME_REVIEW: 'on' });
    expect(verdicts(events)).toHaveLength(0);
    expect(reviews).toHaveLength(1);
    const reviewCalls = cluster!.fake.requests.filter((r) =>
      JSON.stringify(r.body.tools ?? []).includes('submit_review'),
    );
    expect(reviewCalls).toHaveLength(2);
    expect(JSON.stringify(reviewCalls[1]!.body.messages)).toContain('That is not a verdict');
    const blocker = events.find((e) => e.payload.case === 'blockerCreated');
    const question = (blocker!.payload.value as { blocker: { question: string } }).blocker.question;
    expect(question).toMatch(
      /its review could not be made: .*not a verdict, twice: no verdict was submitted/,
    );
    expect(task.status).toBe(TaskStatus.BLOCKED);
    expect(() => gitIn(repo, ['show', 'main:add.js'])).toThrow();
  }, 120_000);

  it('a project with review off merges without a review call', async () => {
    const { c, events, project, repo } = await run('stubborn', { CODEFRAME_REVIEW: 'on' }, false);
    expect(project.review).toBe(false);
    expect(events.at(-1)?.payload.value).toMatchObject({ status: ProjectStatus.COMPLETED });
    expect(verdicts(events)).toHaveLength(0);
    expect(reviews).toHaveLength(0);
    expect(gitIn(repo, ['show', 'main:add.js'])).toContain('export const add');
    // Unset, a project takes the lead's default.
    const { project: byDefault } = await c.client.createProject({ prd: '# Other\nx' });
    expect(byDefault?.review).toBe(true);
  }, 120_000);
});
