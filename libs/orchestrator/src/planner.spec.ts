import { create } from '@bufbuild/protobuf';
import {
  type Brain,
  type FakeAnthropic,
  startFakeAnthropic,
  text,
  toolUse,
} from '@codeframe/fake-anthropic';
import { DEFAULT_PRICES, LlmClient, type UsageTotals } from '@codeframe/llm';
import { TaskKind, ToolSchema } from '@codeframe/proto';
import { silentLogger } from '@codeframe/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { PlanError, type PlanningRepo, planFromPrd, planningEnvironment } from './planner.js';

const cyclic = {
  tasks: [
    {
      key: 'a',
      title: 'A',
      description: '',
      kind: 'backend',
      depends_on: ['b'],
      acceptance_criteria: [],
    },
    {
      key: 'b',
      title: 'B',
      description: '',
      kind: 'test',
      depends_on: ['a'],
      acceptance_criteria: [],
    },
  ],
};
const good = {
  tasks: [
    {
      key: 'api',
      title: 'API',
      description: 'REST',
      kind: 'backend',
      depends_on: [],
      acceptance_criteria: ['GET /todos'],
    },
    {
      key: 'tests',
      title: 'Tests',
      description: '',
      kind: 'test',
      depends_on: ['api'],
      acceptance_criteria: [],
    },
  ],
};

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  counted = [];
});

async function plan(brain: Brain, environment = '', repo?: PlanningRepo) {
  fake = await startFakeAnthropic({ brain });
  const llm = new LlmClient({
    apiKey: 'k',
    baseUrl: fake.url,
    model: 'claude-sonnet-5-5',
    prices: DEFAULT_PRICES,
    maxRetries: 0,
    requestTimeoutMs: 5_000,
    maxTokens: 1024,
    logger: silentLogger,
  });
  return planFromPrd(llm, '# Todo\nA todo API.', { environment, repo, count });
}

/** Every call's usage, as the planner counted it. */
let counted: UsageTotals[] = [];
const count = async (usage: UsageTotals) => {
  counted.push(usage);
};

describe('planFromPrd', () => {
  it('sends an invalid plan back with the reason once, then takes the corrected plan', async () => {
    const result = await plan((req) => ({
      content: [toolUse('submit_plan', req.messages.length === 1 ? cyclic : good)],
    }));
    expect(result.tasks.map((t) => [t.key, t.dependsOn])).toEqual([
      ['api', []],
      ['tests', ['api']],
    ]);
    expect(result.usage.calls).toBe(2);
    expect(JSON.stringify(fake?.requests[1]?.body.messages.at(-1))).toContain(
      "the plan's dependencies form a cycle: a → b → a",
    );
    expect(JSON.stringify(fake?.requests[0]?.body.tools)).toContain('"name":"submit_plan"');
  });

  it('fails with the reason when the second plan is invalid too', async () => {
    await expect(plan(() => ({ content: [toolUse('submit_plan', cyclic)] }))).rejects.toThrow(
      new PlanError("the model's plan is invalid: the plan's dependencies form a cycle: a → b → a"),
    );
    // The two calls cost money though no plan came of them: both were counted.
    expect(counted.map((u) => u.calls)).toEqual([1, 1]);
    expect(counted[0]!.costUsd).toBeGreaterThan(0);
  });

  it("tells the model what the engineers' sandboxes have, as their workers reported it", async () => {
    const tool = (name: string, version: string) =>
      create(ToolSchema, { name, version, path: `/usr/bin/${name}` });
    const environment = planningEnvironment([
      {
        kind: TaskKind.BACKEND,
        toolchain: [tool('node', 'v20.20.2'), tool('python3', '3.11.2')],
        allowedHosts: ['registry.npmjs.org:443'],
      },
      { kind: TaskKind.TEST, toolchain: [], allowedHosts: [] },
    ]);
    await plan(() => ({ content: [toolUse('submit_plan', good)] }), environment);
    const system = JSON.stringify(fake?.requests[0]?.body.system);
    expect(system).toContain(
      '- backend: node v20.20.2, python3 3.11.2; network only to the package registries (registry.npmjs.org:443)',
    );
    expect(system).toContain('- test: not reported yet; no network');
    expect(system).not.toContain('no network.');
  });

  it('counts an answer without submit_plan as an invalid plan', async () => {
    await expect(plan(() => ({ content: [text('Here is my plan: ...')] }))).rejects.toThrow(
      /no plan was submitted/,
    );
  });

  it('plans changes to an existing repository: its map follows the spec, its paths check the files', async () => {
    const repo: PlanningRepo = {
      text: 'Repository map of main at abc: 1 files\n## Tree (path, size)\nsrc/todo.js  1 KB',
      index: { files: new Set(['src/todo.js']), dirs: new Set(['src']) },
    };
    const named = (files: string[]) => ({ tasks: [{ ...good.tasks[0]!, files }] });
    const result = await plan(
      (req) => ({
        content: [
          toolUse('submit_plan', named(req.messages.length === 1 ? ['src'] : ['src/todo.js'])),
        ],
      }),
      '',
      repo,
    );
    const first = fake!.requests[0]!.body;
    const prompt = `# Product spec\n\n# Todo\nA todo API.\n\n# Repository map\n\n${repo.text}`;
    expect(JSON.stringify(first.messages[0]!.content)).toContain(JSON.stringify(prompt));
    expect(JSON.stringify(first.system)).toContain('an existing repository, mapped after it');
    expect(JSON.stringify(first.tools)).toContain('"files"');
    expect(JSON.stringify(fake!.requests[1]!.body.messages.at(-1))).toContain(
      'file \\"src\\" is a directory of the repository: name its files',
    );
    expect(result.tasks[0]!.description).toBe('REST\n\nFiles: src/todo.js (exists)');
  });
});
