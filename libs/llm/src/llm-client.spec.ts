import type { MessageParam } from '@anthropic-ai/sdk/resources/messages';
import {
  type FakeAnthropic,
  type MessagesRequest,
  startFakeAnthropic,
  text,
  toolUse,
} from '@codeframe/fake-anthropic';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_PRICES, LlmClient, LlmError } from './index.js';

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  return {
    logger: pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) }),
    lines,
  };
}

async function setup(
  options: Partial<Parameters<typeof startFakeAnthropic>[0]> = {},
  model = 'claude-sonnet-5-5',
) {
  const fake = await startFakeAnthropic({
    brain: () => ({
      content: [text('writing it'), toolUse('write_file', { path: 'a.js', content: 'x' })],
    }),
    ...options,
  });
  servers.push(fake);
  const { logger, lines } = memoryLogger();
  const llm = new LlmClient({
    apiKey: 'test-key',
    baseUrl: fake.url,
    model,
    prices: DEFAULT_PRICES,
    maxRetries: 5,
    requestTimeoutMs: 10_000,
    maxTokens: 1024,
    logger,
    backoff: { baseMs: 10, maxMs: 50 },
  });
  return { fake, llm, lines };
}

/** Blocks marked with cache_control in a request body, everywhere the API counts them. */
function breakpointsOf(body: MessagesRequest): number {
  const count = (blocks: unknown) =>
    Array.isArray(blocks)
      ? blocks.filter((b: { cache_control?: unknown }) => !!b.cache_control).length
      : 0;
  return (
    count(body.tools) + count(body.system) + body.messages.reduce((n, m) => n + count(m.content), 0)
  );
}

const request = {
  system: 'You build things.',
  tools: [
    { name: 'write_file', input_schema: { type: 'object' as const } },
    { name: 'finish', input_schema: { type: 'object' as const } },
  ],
  messages: [{ role: 'user' as const, content: 'Build a.js' }],
};

describe('LlmClient', () => {
  it('streams a turn with tool use and prices its tokens', async () => {
    const { llm, fake } = await setup();
    const res = await llm.complete(request);
    expect(res.message.content.map((b) => b.type)).toEqual(['text', 'tool_use']);
    const use = res.message.content[1];
    expect(use?.type === 'tool_use' && use.input).toEqual({ path: 'a.js', content: 'x' });
    const { inputTokens, outputTokens, cacheReadInputTokens, cacheCreationInputTokens } = res.usage;
    expect(inputTokens).toBeGreaterThan(0);
    const expected =
      (inputTokens * 2 +
        outputTokens * 10 +
        cacheReadInputTokens * 0.2 +
        cacheCreationInputTokens * 2.5) /
      1e6;
    expect(res.usage.costUsd).toBeCloseTo(expected, 12);
    expect(res.usage.unpriced).toBe(false);
    expect(fake.requests[0]?.body.stream).toBe(true);
  });

  it('marks the system prompt and the tool definitions for prompt caching', async () => {
    const { llm, fake } = await setup();
    await llm.complete(request);
    const body = fake.requests[0]?.body as unknown as {
      system: { cache_control?: unknown }[];
      tools: { cache_control?: unknown }[];
    };
    expect(body.system[0]?.cache_control).toEqual({ type: 'ephemeral' });
    expect(body.tools.at(-1)?.cache_control).toEqual({ type: 'ephemeral' });
    expect(body.tools[0]?.cache_control).toBeUndefined();
  });

  it("marks the latest message and the previous turn's, within four breakpoints, leaving the caller's messages as they were", async () => {
    const { llm, fake } = await setup();
    const messages: MessageParam[] = [
      { role: 'user', content: 'Build a.js' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'writing it', cache_control: { type: 'ephemeral' } },
          {
            type: 'tool_use',
            id: 'toolu_1',
            name: 'write_file',
            input: { path: 'a.js' },
            cache_control: { type: 'ephemeral' },
          },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'written' },
          { type: 'text', text: 'also this', cache_control: { type: 'ephemeral' } },
        ],
      },
      { role: 'assistant', content: 'and now?' },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'ok' }] },
    ];
    const before = structuredClone(messages);
    await llm.complete({ ...request, messages });
    expect(messages).toEqual(before);

    const sent = fake.requests[0]!.body;
    const marks = sent.messages.map((m) =>
      Array.isArray(m.content)
        ? m.content.map((b) => 'cache_control' in b && !!b.cache_control)
        : 'string',
    );
    expect(marks).toEqual([
      'string',
      // The caller's own marks elsewhere are dropped.
      [false, false],
      // The previous turn's latest message, its caller's mark on an earlier block moved to the last.
      [false, true],
      'string',
      [true],
    ]);
    expect(breakpointsOf(sent)).toBe(4);
    expect(sent.messages.at(-1)?.content).toEqual([
      {
        type: 'tool_result',
        tool_use_id: 'toolu_2',
        content: 'ok',
        cache_control: { type: 'ephemeral' },
      },
    ]);
  });

  it('turns a first message given as a string into its text block, marked', async () => {
    const { llm, fake } = await setup();
    await llm.complete(request);
    expect(request.messages).toEqual([{ role: 'user', content: 'Build a.js' }]);
    const sent = fake.requests[0]!.body;
    expect(sent.messages).toEqual([
      {
        role: 'user',
        content: [{ type: 'text', text: 'Build a.js', cache_control: { type: 'ephemeral' } }],
      },
    ]);
    expect(breakpointsOf(sent)).toBe(3);
  });

  it('retries 429 (honouring retry-after), 529, 500 and a cut stream, then succeeds', async () => {
    const { llm, fake, lines } = await setup({
      faults: [
        { kind: 'rate_limit', retryAfterSeconds: 0.2 },
        { kind: 'overloaded' },
        { kind: 'server_error' },
        { kind: 'cut_stream', afterEvents: 3 },
      ],
    });
    const retries: { kind: string; delayMs: number }[] = [];
    const started = Date.now();
    const res = await llm.complete({
      ...request,
      onRetry: ({ error, delayMs }) => retries.push({ kind: error.kind, delayMs }),
    });
    expect(res.attempts).toBe(5);
    expect(retries.map((r) => r.kind)).toEqual([
      'rate_limited',
      'overloaded',
      'server_error',
      'connection',
    ]);
    expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(fake.requests).toHaveLength(5);
    expect(
      lines.filter((l) => String(l.msg).startsWith('model call failed, retrying')),
    ).toHaveLength(4);
  });

  it('does not retry a bad request and says what the API said', async () => {
    const { llm, fake } = await setup({
      faults: [{ kind: 'invalid_request', message: 'messages: too long' }],
    });
    const err = await llm.complete(request).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect((err as LlmError).kind).toBe('invalid_request');
    expect((err as LlmError).message).toMatch(/400/);
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up after maxRetries', async () => {
    const { llm, fake } = await setup({
      faults: Array.from({ length: 10 }, () => ({ kind: 'server_error' as const })),
    });
    const err = (await llm.complete(request).catch((e: unknown) => e)) as LlmError;
    expect(err.kind).toBe('server_error');
    expect(fake.requests).toHaveLength(6);
  });

  it('stops a slow stream when the signal aborts', async () => {
    const { llm } = await setup({ eventDelayMs: 500 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    const err = (await llm
      .complete({ ...request, signal: controller.signal })
      .catch((e: unknown) => e)) as LlmError;
    expect(err.kind).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('sends nothing when the signal was aborted before the call (a budget spent meanwhile)', async () => {
    const { llm, fake } = await setup();
    const controller = new AbortController();
    controller.abort();
    const err = (await llm
      .complete({ ...request, signal: controller.signal })
      .catch((e: unknown) => e)) as LlmError;
    expect(err.kind).toBe('cancelled');
    expect(fake.requests).toHaveLength(0);
  });

  it('counts a model missing from the price table as unpriced, and says so once', async () => {
    const { llm, lines } = await setup({}, 'claude-unknown-9');
    const res = await llm.complete(request);
    await llm.complete(request);
    expect(res.usage).toMatchObject({ unpriced: true, costUsd: 0 });
    expect(
      lines.filter((l) => String(l.msg).includes('missing from the price table')),
    ).toHaveLength(1);
  });
});
