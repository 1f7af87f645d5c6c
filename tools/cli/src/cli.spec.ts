import { brains } from '@codeframe/fake-anthropic';
import {
  type Cluster,
  runToExit,
  type ServiceProcess,
  startCluster,
  startServiceProcess,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = 'tools/cli/dist/main.js';
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster(brains.examples!);
}, 60_000);
afterAll(() => cluster?.stop());

const cli = (args: string[], env: Record<string, string> = {}, timeoutMs = 60_000) =>
  runToExit(CLI, { CODEFRAME_LEAD_URL: cluster.leadUrl, ...env }, { args, timeoutMs });

type Line = Record<string, unknown> & { type: string; seq?: number };
const jsonLines = (stdout: string): Line[] =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

describe('codeframe run', () => {
  let events: Line[];
  let summary: Line;

  beforeAll(async () => {
    // The cluster's lead reviews nothing by default; this project asks for review.
    const run = await cli(['run', 'examples/csv-stats/PRD.md', '--json', '--review', 'on']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = jsonLines(run.stdout);
    summary = lines.at(-1)!;
    events = lines.filter((l) => typeof l.seq === 'number');
  }, 90_000);

  it('builds the example: every task completed, one correction, one merge per task', () => {
    expect(summary).toMatchObject({ type: 'summary', status: 'completed', merges: 4 });
    const tasks = summary.tasks as { key: string; status: string; corrections: number }[];
    expect(tasks.map((t) => [t.key, t.status])).toEqual([
      ['parser', 'completed'],
      ['stats', 'completed'],
      ['cli', 'completed'],
      ['acceptance', 'completed'],
    ]);
    expect(tasks.find((t) => t.key === 'stats')?.corrections).toBe(1);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  });

  it('reviews each task before its merge: the review sends cli back for its test, then approves', () => {
    const cli = (
      events.find((e) => e.type === 'plan_ready')!.tasks as { id: string; key: string }[]
    ).find((t) => t.key === 'cli')!;
    const reviews = events.filter((e) => e.type === 'review_completed');
    expect(reviews.filter((r) => r.approved)).toHaveLength(4);
    const ofCli = reviews.filter((r) => r.task_id === cli.id);
    expect(ofCli).toMatchObject([
      {
        attempt: 1,
        comments: [{ path: 'bin/csv-stats.js', body: expect.stringMatching(/without a test/) }],
      },
      { attempt: 2, approved: true },
    ]);
    expect(ofCli[0]!.approved ?? false).toBe(false);
  });

  it('runs independent tasks at once and respects dependencies', () => {
    const keyOf = new Map(
      (events.find((e) => e.type === 'plan_ready')!.tasks as { id: string; key: string }[]).map(
        (t) => [t.id, t.key],
      ),
    );
    const when = (key: string, status: string) =>
      events.findIndex(
        (e) =>
          e.type === 'task_status_changed' &&
          keyOf.get(e.task_id as string) === key &&
          e.to === status,
      );
    const started = (key: string) => when(key, 'TASK_STATUS_IN_PROGRESS');
    const completed = (key: string) => when(key, 'TASK_STATUS_COMPLETED');
    expect(started('stats')).toBeLessThan(completed('parser'));
    expect(started('parser')).toBeLessThan(completed('stats'));
    expect(started('cli')).toBeGreaterThan(Math.max(completed('parser'), completed('stats')));
    expect(started('acceptance')).toBeGreaterThan(completed('cli'));
    expect(events.some((e) => e.type === 'correction_attempt')).toBe(true);
  });

  it('prints a task’s command output, attempt by attempt; refuses to retry a completed task', async () => {
    const stats = (
      events.find((e) => e.type === 'plan_ready')!.tasks as { id: string; key: string }[]
    ).find((t) => t.key === 'stats')!;
    const outputs = events.filter((e) => e.type === 'command_output' && e.task_id === stats.id);
    expect(outputs.length).toBeGreaterThan(0);
    const logs = await cli(['logs', stats.id]);
    expect(logs.stderr).toBe('');
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/^── attempt 1 on \S+ ──\n\$ /);
    for (const command of new Set(outputs.map((o) => o.command as string)))
      expect(logs.stdout).toContain(`\n$ ${command}\n`);
    for (const o of outputs) expect(logs.stdout).toContain((o.chunk as string).trim());
    const json = jsonLines((await cli(['logs', stats.id, '--json'])).stdout);
    expect(json).toEqual(outputs);
    const retry = await cli(['retry', stats.id]);
    expect(retry.code).toBe(3);
    expect(retry.stderr).toMatch(/^codeframe: .*only a failed or cancelled task can be retried\n$/);
    const unknown = await cli(['logs', 'nope']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^codeframe: .*nope/);
  });

  it('lists, shows and replays the project', async () => {
    const projectId = events[0]!.project_id as string;
    const projects = await cli(['projects']);
    expect(projects.code).toBe(0);
    expect(projects.stdout).toMatch(new RegExp(`${projectId}\\s+CSV Stats\\s+completed\\s+4/4`));
    const tasks = await cli(['tasks', projectId]);
    // Attempt 2: the review sent the first back for its missing test.
    expect(tasks.stdout).toMatch(/^cli\s+\S+\s+backend\s+completed\s+2\s+parser,stats\s+10\/10/m);
    const status = await cli(['status', projectId]);
    expect(status.stdout).toMatch(/status\s+completed/);
    expect(status.stdout).toMatch(/repository file:\/\//);
    const watched = await cli(['watch', projectId, '--from', '10']);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/^\d\d:\d\d:\d\d project completed/m);
    expect(watched.stdout).not.toMatch(/plan ready/);
    expect(watched.stdout).toMatch(/tasks 4\/4 completed/);
    expect(watched.stdout).toMatch(
      /cli: review of attempt 1: ✗ changes requested: The change adds code without a test that checks it\.\n {4}bin\/csv-stats\.js:\d+: bin\/csv-stats\.js changes without a test/,
    );
    expect(watched.stdout).toMatch(/cli: review of attempt 2: ✓ approved/);
  });
});

describe('failures: one sentence and a non-zero status', () => {
  it('a PRD file that does not exist', async () => {
    const run = await cli(['run', 'no/such/prd.md']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('codeframe: cannot read the PRD no/such/prd.md: no such file\n');
  });

  it('a lead that is not running', async () => {
    const run = await cli(['projects'], { CODEFRAME_LEAD_URL: 'http://127.0.0.1:9' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^codeframe: cannot reach the lead at http:\/\/127\.0\.0\.1:9 \(.*ECONNREFUSED.*\): is it running\?/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a token the lead refuses', async () => {
    let guarded: ServiceProcess | undefined;
    try {
      guarded = await startServiceProcess({
        entry: 'services/lead/dist/main.js',
        env: { CODEFRAME_AUTH_TOKEN: 'right', CODEFRAME_DATA_DIR: `${cluster.dir}/guarded` },
      });
      const url = `http://127.0.0.1:${guarded.port}`;
      const wrong = await cli(['projects', '--lead', url, '--token', 'wrong']);
      expect(wrong.code).toBe(3);
      expect(wrong.stderr).toMatch(
        /^codeframe: the lead at .* refused the token .*CODEFRAME_AUTH_TOKEN/,
      );
      const right = await cli(['projects', '--lead', url], { CODEFRAME_AUTH_TOKEN: 'right' });
      expect(right.code).toBe(0);
    } finally {
      await guarded?.stop();
    }
  });

  it('an unknown blocker, command or option', async () => {
    const answer = await cli(['answer', 'nope', 'yes']);
    expect(answer.code).toBe(3);
    expect(answer.stderr).toMatch(/^codeframe: .*nope.*\n$/);
    expect((await cli(['launch'])).stderr).toMatch(/unknown command "launch"/);
    expect((await cli(['run', 'x.md', '--budget', 'lots'])).stderr).toMatch(
      /--budget must be a positive number/,
    );
    const review = await cli(['run', 'x.md', '--review', 'maybe']);
    expect(review.code).toBe(2);
    expect(review.stderr).toBe('codeframe: --review must be "on" or "off", got "maybe"\n');
  });

  it('a --repo the lead refuses: its reason, and no project', async () => {
    const run = await cli(['run', 'examples/slugkit/PRD.md', '--repo', '/etc']);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^codeframe: .*"\/etc" is a local repository: local repositories are refused/,
    );
    const { projects } = await cluster.client.listProjects({});
    expect(projects.some((p) => p.name.startsWith('Slugkit'))).toBe(false);
  });

  it('a project stopped by its budget: exit 1 with the reason; `budget` raises it and it completes', async () => {
    const run = await cli(['run', 'examples/todo-api/PRD.md', '--budget', '0.001']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^codeframe: the project's budget spent: raise it to continue \(\$[\d.]+ of \$0\.0010 used\); raise it with: codeframe budget [\w-]+ <usd>\n$/,
    );
    expect(run.stdout).toMatch(/project waits: budget spent: raise it to continue/);
    const projectId = /codeframe budget ([\w-]+) <usd>/.exec(run.stderr)![1]!;
    const raised = await cli(['budget', projectId, '100']);
    expect(raised.stderr).toBe('');
    expect(raised.code).toBe(0);
    expect(raised.stdout).toMatch(
      new RegExp(`^project ${projectId} budget \\$100\\.00 \\(\\$[\\d.]+ spent\\): running\n$`),
    );
    const watch = await cli(['watch', projectId]);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(/project goes on: the budget was set to \$100\.00/);
  }, 150_000);

  it('`budget` refuses a bad amount or an unknown project', async () => {
    for (const usd of ['lots', '-1', 'NaN', '']) {
      const bad = await cli(['budget', 'p', '--', usd]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(
        `codeframe: budget must be 0 (none) or a positive amount of USD, got "${usd}"\n`,
      );
    }
    expect((await cli(['budget', 'p'])).stderr).toMatch(/budget needs a project id and a budget/);
    const unknown = await cli(['budget', 'nope', '5']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^codeframe: .*project "nope" does not exist/);
  });
});
