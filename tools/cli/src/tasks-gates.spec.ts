import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Brain,
  lintCorrectingModuleBrain,
  planTask,
  toolUse,
} from '@codeframe/fake-anthropic';
import { type Cluster, runToExit, startCluster } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A task's quality gates end to end: the worker's quality_gate events reach the lead's log,
// the task keeps its latest gate results, and `codeframe tasks` shows them.

const CLI = 'tools/cli/dist/main.js';

/** Plans one task; the worker's model writes code its own lint rejects, then fixes it. */
const brain: Brain = (request, ctx) =>
  JSON.stringify(request.tools ?? []).includes('submit_plan')
    ? { content: [toolUse('submit_plan', { tasks: [planTask('math')] })] }
    : lintCorrectingModuleBrain(request, ctx);

type Line = Record<string, unknown> & { type: string };

describe('quality gates in the lead and the CLI', () => {
  let cluster: Cluster;
  let lines: Line[];
  const cli = (args: string[]) =>
    runToExit(CLI, { CODEFRAME_LEAD_URL: cluster.leadUrl }, { args, timeoutMs: 60_000 });

  beforeAll(async () => {
    cluster = await startCluster(brain);
    const prd = join(cluster.dir, 'PRD.md');
    await writeFile(prd, '# Math\n\nAn add() function.\n');
    const run = await cli(['run', prd, '--json']);
    expect(run.stderr).toBe('');
    lines = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('logs each gate run as a quality_gate event: lint failed, then passed', () => {
    const lint = lines.filter((l) => l.type === 'quality_gate' && l.name === 'lint');
    expect(lint).toMatchObject([
      { command: 'npm run lint', passed: false, attempt: 0 },
      { command: 'npm run lint', passed: true, attempt: 1 },
    ]);
    expect(lint[0]!.summary).toMatch(/math\.js:2: uses var/);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', status: 'completed' });
  });

  it('keeps the latest result of each gate on the task, shown by codeframe tasks', async () => {
    const projectId = lines.find((l) => l.project_id)!.project_id as string;
    const { tasks } = await cluster.client.listTasks({ projectId });
    expect(tasks[0]!.gates.map((g) => [g.name, g.passed, g.attempt])).toEqual([
      ['skipped-tests', true, 1],
      ['lint', true, 1],
    ]);
    const table = await cli(['tasks', projectId]);
    expect(table.stdout).toMatch(
      /^key\s+id\s+kind\s+status\s+attempt\s+after\s+tests\s+gates\s+merge/,
    );
    expect(table.stdout).toMatch(
      /^math\s+\S+\s+backend\s+completed\s+1\s+-\s+1\/1\s+skipped-tests ✓ lint ✓\s/m,
    );
    const json = await cli(['tasks', projectId, '--json']);
    expect(JSON.parse(json.stdout)[0].gates).toMatchObject([
      { name: 'skipped-tests', passed: true },
      { name: 'lint', command: 'npm run lint', passed: true, attempt: 1 },
    ]);
  });
});
