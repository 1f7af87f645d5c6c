import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brains } from '@codeframe/fake-anthropic';
import { type Cluster, runToExit, startCluster, WORKSPACE_ROOT } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedExampleRepo } from './example-repo.js';

// The brownfield example, as `npm start -- --example slugkit` runs it: its seed pushed as
// the first commit of an existing repository, the project created on that repository, and
// the offline brain planning and building the change.

const PRD = join(WORKSPACE_ROOT, 'examples/slugkit/PRD.md');
let cluster: Cluster;
let repoUrl: string;
let projectId: string;
let checkout: string;

const firstMessage = (body: { messages?: unknown[] }) => JSON.stringify(body.messages?.[0] ?? '');

beforeAll(async () => {
  const root = mkdtempSync(join(tmpdir(), 'example-repos-'));
  cluster = await startCluster(brains.examples!, {}, { leadEnv: { CODEFRAME_REPO_ROOT: root } });
  repoUrl = (await seedExampleRepo(PRD, root))!;
  const run = await runToExit(
    'tools/cli/dist/main.js',
    { CODEFRAME_LEAD_URL: cluster.leadUrl },
    { args: ['run', PRD, '--repo', repoUrl, '--json'], timeoutMs: 120_000 },
  );
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const { projects } = await cluster.client.listProjects({});
  projectId = projects[0]!.id;
  checkout = join(mkdtempSync(join(tmpdir(), 'slugkit-')), 'repo');
  execFileSync('git', ['clone', '--quiet', '--branch', 'main', repoUrl, checkout]);
}, 180_000);
afterAll(() => cluster?.stop());

describe('the brownfield example (slugkit)', () => {
  it("the planner's request holds the map of the existing repository", () => {
    const planning = cluster.fake.requests.find((r) =>
      JSON.stringify(r.body.tools ?? []).includes('submit_plan'),
    )!;
    const prompt = firstMessage(planning.body);
    expect(prompt).toContain('# Repository map');
    expect(prompt).toContain('package.json:\\n  name: slugkit');
    expect(prompt).toContain('command: npm test (node --test)');
    expect(prompt).toContain('src/slug.js: stripAccents(text), slugify(text)');
    expect(prompt).toContain('test/slug.test.js');
    expect(JSON.stringify(planning.body.system)).toContain('an existing repository');
  });

  it('the plan names existing files of the repository, and each task gets its part of the map', async () => {
    const { tasks } = await cluster.client.listTasks({ projectId });
    const files = Object.fromEntries(
      tasks.map((t) => [t.key, /\n\nFiles: (.*)$/.exec(t.description)?.[1]]),
    );
    expect(files).toEqual({
      'max-length': 'src/slug.js (exists), test/max-length.test.js (new)',
      unique: 'src/unique.js (new), src/index.js (exists), test/unique.test.js (new)',
    });
    const taskPrompt = (key: string) =>
      firstMessage(
        cluster.fake.requests.find((r) => firstMessage(r.body).includes(`# Task ${key}:`))!.body,
      );
    const maxLength = taskPrompt('max-length');
    expect(maxLength).toContain('## Repository map');
    expect(maxLength).toContain('the files it names (src/slug.js, test/slug.test.js)');
    expect(maxLength).toContain('src/slug.js: stripAccents(text), slugify(text)');
    // The second task starts from main after the first merged: the map is of that main.
    expect(taskPrompt('unique')).toContain(
      'src/slug.js: stripAccents(text), slugify(text, { maxLength } = {})',
    );
  });

  it('completes on the existing repository: its first commit is the seed, its tests pass on main', () => {
    const subjects = execFileSync('git', ['log', '--reverse', '--format=%s', 'main'], {
      cwd: checkout,
      encoding: 'utf8',
    });
    expect(subjects.split('\n')[0]).toBe('chore: slugkit before the change');
    expect(subjects.match(/^Merge task\//gm)).toHaveLength(2);
    const seedTest = execFileSync(
      'git',
      ['diff', '--stat', 'main~2', 'main', '--', 'test/slug.test.js'],
      {
        cwd: checkout,
        encoding: 'utf8',
      },
    );
    expect(seedTest).toBe('');
    const tests = spawnSync('npm', ['test'], { cwd: checkout, encoding: 'utf8' });
    expect(tests.status).toBe(0);
    expect(tests.stdout).toMatch(/# pass 10\n# fail 0/);
    expect(tests.stdout).toContain('accents are removed, punctuation collapses');
  });
});
