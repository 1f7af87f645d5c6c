import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, requestTokens, startFakeAnthropic, text } from './index.js';

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const request = (content: string) => ({
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content }],
});

describe('the context window', () => {
  it('answers a request past the window 400 "prompt is too long", as the API does', async () => {
    const fake = await startFakeAnthropic({
      brain: () => ({ content: [text('ok')] }),
      contextWindowTokens: 1_000,
    });
    servers.push(fake);
    const client = new Anthropic({ apiKey: 'k', baseURL: fake.url, maxRetries: 0 });
    const fits = request('x'.repeat(3_000));
    expect((await client.messages.create(fits)).content).toMatchObject([{ text: 'ok' }]);
    const tooLong = request('x'.repeat(5_000));
    const tokens = requestTokens(tooLong);
    const err = await client.messages.create(tooLong).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      error: {
        type: 'invalid_request_error',
        message: `prompt is too long: ${tokens} tokens > 1000 maximum`,
      },
    });
    expect(fake.requests[1]?.rejected).toBe(`prompt is too long: ${tokens} tokens > 1000 maximum`);
  });

  it('answers pause_turn and refusal stop reasons when the brain gives them', async () => {
    const fake = await startFakeAnthropic({
      brain: (req) => ({
        content: [text('…')],
        stopReason: req.messages.length === 1 ? 'pause_turn' : 'refusal',
      }),
    });
    servers.push(fake);
    const client = new Anthropic({ apiKey: 'k', baseURL: fake.url, maxRetries: 0 });
    const paused = await client.messages.stream(request('go')).finalMessage();
    expect(paused.stop_reason).toBe('pause_turn');
    const refused = await client.messages.create({
      ...request('go'),
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: '…' },
        { role: 'user', content: 'go on' },
      ],
    });
    expect(refused.stop_reason).toBe('refusal');
  });
});
