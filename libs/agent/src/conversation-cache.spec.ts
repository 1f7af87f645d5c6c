// Prompt caching of the conversation, end to end: a worker runs a 10-turn task through the
// real LlmClient against fake-anthropic, whose prompt cache accounts for every request as
// the API does; the share read from the cache is taken from the task's own usage.
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STEP_BY_STEP_TASK, stepByStepModuleBrain } from '@codeframe/fake-anthropic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcome, repoMaker, startTestWorker, type TestWorker } from './test-worker.fixture.js';

let dir: string;
let worker: TestWorker;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'conversation-cache-')));
  worker = await startTestWorker(dir, { brain: stepByStepModuleBrain(10) });
});

afterAll(async () => {
  await worker?.close();
  await rm(dir, { recursive: true, force: true });
});

type Block = { cache_control?: unknown };
const marked = (blocks: unknown) =>
  (Array.isArray(blocks) ? (blocks as Block[]) : []).filter((b) => b.cache_control).length;

describe('prompt caching of the conversation', () => {
  it('reads at least 80% of a 10-turn task input from the cache, every request marking its latest message', async () => {
    const { events, error } = await worker.execute({
      task: {
        id: 'cache-1',
        title: STEP_BY_STEP_TASK.title,
        description: STEP_BY_STEP_TASK.description,
        acceptanceCriteria: STEP_BY_STEP_TASK.acceptanceCriteria,
        kind: 'TASK_KIND_BACKEND',
      },
      context: STEP_BY_STEP_TASK.context,
      repoUrl: repoMaker(dir)(),
      baseRef: 'main',
    });
    expect(error).toBeUndefined();
    const result = outcome(events);
    expect(result).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });

    const requests = worker.fake.requests.map((r) => r.body);
    expect(requests).toHaveLength(10);
    for (const body of requests) {
      const latest = body.messages.at(-1)!;
      expect(
        Array.isArray(latest.content) && (latest.content.at(-1) as Block).cache_control,
      ).toEqual({
        type: 'ephemeral',
      });
      const breakpoints =
        marked(body.system) +
        marked(body.tools) +
        body.messages.reduce((n, m) => n + marked(m.content), 0);
      expect(breakpoints).toBeLessThanOrEqual(4);
    }

    const usage = result?.usage as Record<string, string | number>;
    const [input, read, written] = [
      usage.inputTokens,
      usage.cacheReadInputTokens,
      usage.cacheCreationInputTokens,
    ].map(Number) as [number, number, number];
    expect(read / (input + read + written)).toBeGreaterThanOrEqual(0.8);
  }, 120_000);
});
