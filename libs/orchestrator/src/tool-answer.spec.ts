// The lead's one-tool answers (planner, reviewer) count each model call as it is made, so a
// budget spent by the first call stops the second, and a call that throws loses nothing.
import { type FakeAnthropic, startFakeAnthropic, text } from '@codeframe/fake-anthropic';
import { DEFAULT_PRICES, LlmClient, LlmError, type UsageTotals } from '@codeframe/llm';
import { silentLogger } from '@codeframe/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { askForToolCall } from './tool-answer.js';

let fake: FakeAnthropic | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** A model that never calls the tool: every answer is sent back once. */
async function client(failSecond = false) {
  fake = await startFakeAnthropic({
    brain: () => ({ content: [text('no tool for you')] }),
    faults: failSecond
      ? [
          { kind: 'delay', ms: 0 },
          { kind: 'invalid_request', message: 'bad second call' },
        ]
      : [],
  });
  return new LlmClient({
    apiKey: 'k',
    baseUrl: fake.url,
    model: 'claude-sonnet-5-5',
    prices: DEFAULT_PRICES,
    maxRetries: 0,
    requestTimeoutMs: 5_000,
    maxTokens: 256,
    logger: silentLogger,
  });
}

const ask = (llm: LlmClient, count: (u: UsageTotals) => Promise<void>, signal?: AbortSignal) =>
  askForToolCall(llm, {
    system: 'Answer with the tool.',
    tool: { name: 'submit', input_schema: { type: 'object' } },
    messages: [{ role: 'user', content: 'Go.' }],
    read: () => ({ ok: true, value: 1 }),
    noCall: 'no call',
    feedback: (reason) => `Again: ${reason}`,
    count,
    signal,
  });

describe('askForToolCall', () => {
  it('counts every call as it is made, and the answer holds their sum', async () => {
    const llm = await client();
    const counted: UsageTotals[] = [];
    const answer = await ask(llm, async (u) => {
      counted.push(u);
    });
    expect(answer).toMatchObject({ ok: false, reason: 'no call' });
    expect(counted.map((u) => u.calls)).toEqual([1, 1]);
    expect(answer.usage.calls).toBe(2);
    expect(answer.usage.costUsd).toBeCloseTo(counted[0]!.costUsd + counted[1]!.costUsd, 12);
  });

  it('makes no second call when counting the first aborted the signal', async () => {
    const llm = await client();
    const controller = new AbortController();
    const counted: UsageTotals[] = [];
    const err = await ask(
      llm,
      async (u) => {
        counted.push(u);
        controller.abort();
      },
      controller.signal,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).kind).toBe('cancelled');
    expect(counted).toHaveLength(1);
    expect(fake?.requests).toHaveLength(1);
  });

  it('has counted the first call when the second one throws', async () => {
    const llm = await client(true);
    const counted: UsageTotals[] = [];
    const err = await ask(llm, async (u) => {
      counted.push(u);
    }).catch((e: unknown) => e);
    expect((err as LlmError).kind).toBe('invalid_request');
    expect(counted.map((u) => u.calls)).toEqual([1]);
    expect(counted[0]!.costUsd).toBeGreaterThan(0);
  });
});
