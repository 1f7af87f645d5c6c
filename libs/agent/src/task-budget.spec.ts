// A task's cost cap holds: the worker stops at it with BUDGET_EXHAUSTED, at most one model
// call past it, whether the cap came with the request or is the worker's own default
// (CODEFRAME_TASK_BUDGET_USD).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Brain, paddedTurn, toolUse } from '@codeframe/fake-anthropic';
import { DEFAULT_PRICES } from '@codeframe/llm';
import { loadConfig } from '@codeframe/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Json,
  outcome,
  repoMaker,
  startTestWorker,
  type TestWorker,
} from './test-worker.fixture.js';
import { workerSettings } from './worker-settings.js';

/** 400 characters of output a turn: 100 tokens at $78.125 per million, $0.0078125 a call. */
const CALL_USD = 100 * (78.125 / 1_000_000);
const PRICES = {
  ...DEFAULT_PRICES,
  'claude-sonnet-5-5': { input: 0, output: 78.125, cacheWrite: 0, cacheRead: 0 },
};

/** Never finishes: a new note every turn, each call the same cost. */
let answered = 0;
const spender: Brain = (request) => {
  answered++;
  const turn = (request.messages.length + 1) / 2;
  return paddedTurn([toolUse('write_file', { path: `notes/${turn}.txt`, content: 'n' })], 400);
};

describe('a task at its cost cap', () => {
  let dir: string;
  let worker: TestWorker;
  let repo: (files?: Record<string, string>) => string;
  // The worker's default cap, read from its setting as run-worker reads it.
  const { maxCostUsd } = loadConfig(workerSettings(0), {
    CODEFRAME_TASK_BUDGET_USD: String(4 * CALL_USD),
  });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'task-budget-'));
    worker = await startTestWorker(dir, {
      brain: spender,
      prices: PRICES,
      limits: { maxCostUsd, maxTurns: 40 },
    });
    repo = repoMaker(dir);
  });
  afterAll(async () => {
    await worker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (id: string, limits?: Json) => {
    const before = answered;
    const { events, error } = await worker.execute({
      task: { id, title: 'spend' },
      repoUrl: repo(),
      baseRef: 'main',
      ...(limits ? { limits } : {}),
    });
    expect(error).toBeUndefined();
    return { result: outcome(events) as Json & { usage: Json }, calls: answered - before };
  };

  it("stops at the worker's default cap when the request sets none", async () => {
    expect(maxCostUsd).toBe(4 * CALL_USD);
    const { result, calls } = await run('default-cap');
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_BUDGET_EXHAUSTED',
      error: "the task's budget of $0.03 is spent ($0.0313 used)",
    });
    const spent = result.usage.costUsd as number;
    expect(spent).toBeGreaterThanOrEqual(maxCostUsd);
    expect(spent).toBeLessThanOrEqual(maxCostUsd + CALL_USD);
    expect(calls * CALL_USD).toBeLessThanOrEqual(maxCostUsd + CALL_USD);
  });

  it("stops at the request's cap, not the default, at most one call past it", async () => {
    const cap = 2.5 * CALL_USD;
    const { result, calls } = await run('request-cap', { maxCostUsd: cap });
    expect(result.outcome).toBe('TASK_OUTCOME_BUDGET_EXHAUSTED');
    const spent = result.usage.costUsd as number;
    expect(spent).toBeGreaterThanOrEqual(cap);
    expect(spent).toBeLessThanOrEqual(cap + CALL_USD);
    expect(calls).toBe(3);
  });

  it('refuses limits no budget can mean, naming the field, before any work', async () => {
    const before = answered;
    for (const [field, limits] of [
      ['limits.max_cost_usd', { maxCostUsd: -1 }],
      ['limits.max_cost_usd', { maxCostUsd: Number.NaN }],
      ['limits.max_turns', { maxTurns: -3 }],
      ['limits.max_attempts', { maxAttempts: -1 }],
      ['limits.deadline_ms', { deadlineMs: -5 }],
    ] as const) {
      const { events, error } = await worker.execute({
        task: { id: 'bad-limits', title: 'spend' },
        repoUrl: repo(),
        baseRef: 'main',
        limits,
      });
      expect(events).toEqual([]);
      expect(error?.code).toBe(3); // INVALID_ARGUMENT
      expect(String(error?.details)).toContain(field);
    }
    expect(answered).toBe(before);
  });
});
