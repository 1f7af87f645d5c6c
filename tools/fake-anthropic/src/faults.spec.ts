import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, type Fault, startFakeAnthropic, text, toolUse } from './index.js';

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(faults: Fault[], maxRetries = 0) {
  const fake = await startFakeAnthropic({
    brain: () => ({
      content: [
        text('Here is the file.'),
        toolUse('write_file', { path: 'a.js', content: 'x'.repeat(40) }),
      ],
    }),
    faults,
  });
  servers.push(fake);
  const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries });
  return { fake, client };
}

const params = {
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Build a.js' }],
};

describe('injected faults, as the real SDK sees them', () => {
  it('rate_limit: 429 RateLimitError with retry-after, request-id and rate_limit_error', async () => {
    const { client } = await setup([{ kind: 'rate_limit', retryAfterSeconds: 7 }]);
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const rate = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(rate.status).toBe(429);
    expect(rate.headers.get('retry-after')).toBe('7');
    expect(rate.requestID).toBe('req_fake_0');
    expect(rate.type).toBe('rate_limit_error');
    expect(rate.error).toMatchObject({
      type: 'error',
      error: { type: 'rate_limit_error' },
      request_id: 'req_fake_0',
    });
  });

  it('overloaded: 529 and server_error: 500 are InternalServerErrors', async () => {
    const { client } = await setup([{ kind: 'overloaded' }, { kind: 'server_error' }]);
    const overloaded = await client.messages.create(params).catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.InternalServerError);
    expect(overloaded).toMatchObject({ status: 529, type: 'overloaded_error' });
    const failed = await client.messages
      .stream(params)
      .finalMessage()
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(Anthropic.InternalServerError);
    expect(failed).toMatchObject({ status: 500, type: 'api_error' });
  });

  it('invalid_request: 400 BadRequestError carrying the given message', async () => {
    const { client, fake } = await setup([
      { kind: 'invalid_request', message: 'messages: too long' },
    ]);
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err).toMatchObject({
      status: 400,
      type: 'invalid_request_error',
      apiMessage: 'messages: too long',
    });
    expect(fake.requests[0]).toMatchObject({
      fault: 'invalid_request',
      body: { messages: params.messages },
    });
  });

  it('cut_stream: finalMessage() rejects after the events sent, and the next request is answered', async () => {
    const { client } = await setup([
      { kind: 'cut_stream', afterEvents: 3 },
      { kind: 'cut_stream', afterEvents: 0 },
    ]);
    const stream = client.messages.stream(params);
    const seen: string[] = [];
    stream.on('streamEvent', (event) => seen.push(event.type));
    await expect(stream.finalMessage()).rejects.toThrow();
    expect(seen).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    await expect(client.messages.stream(params).finalMessage()).rejects.toThrow();
    const whole = await client.messages.stream(params).finalMessage();
    expect(whole.content).toHaveLength(2);
  });

  it('cut_stream on a non-streaming request drops the connection before answering', async () => {
    const { client } = await setup([{ kind: 'cut_stream', afterEvents: 2 }]);
    const err = await client.messages.create(params).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('delay: answers after the given time', async () => {
    const { client } = await setup([{ kind: 'delay', ms: 300 }]);
    const started = Date.now();
    const message = await client.messages.create(params);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(message.content).toHaveLength(2);
  });

  it('hands faults out one per request, in order, addFaults appending, and records each', async () => {
    const { client, fake } = await setup([{ kind: 'overloaded' }]);
    fake.addFaults({ kind: 'server_error' }, { kind: 'rate_limit', retryAfterSeconds: 1 });
    const outcomes: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(
        await client.messages.create(params).then(
          (m) => m.type,
          (e: { status: number }) => e.status,
        ),
      );
    }
    expect(outcomes).toEqual([529, 500, 429, 'message']);
    expect(fake.requests.map((r) => r.fault)).toEqual([
      'overloaded',
      'server_error',
      'rate_limit',
      undefined,
    ]);
  });

  it("lets the SDK's own retry get through a 429 with retry-after 0", async () => {
    const { client, fake } = await setup([{ kind: 'rate_limit', retryAfterSeconds: 0 }], 2);
    const message = await client.messages.create(params);
    expect(message.stop_reason).toBe('tool_use');
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]?.headers['x-stainless-retry-count']).toBe('1');
  });

  it('refuses a malformed fault with a sentence naming the field', async () => {
    await expect(setup([{ kind: 'cut_stream', afterEvents: -1 }])).rejects.toThrow(
      /afterEvents must be an integer >= 0/,
    );
    const { fake } = await setup([]);
    expect(() => fake.addFaults({ kind: 'explode' } as unknown as Fault)).toThrow(
      /kind must be one of/,
    );
  });
});
