import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic, text } from './index.js';

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const params = {
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Build a.js' }],
};

describe('usage', () => {
  it('reports cache writes on the first request with cache_control and cache reads after', async () => {
    const fake = await startFakeAnthropic({ brain: () => ({ content: [text('ok')] }) });
    servers.push(fake);
    const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
    const cached = {
      ...params,
      system: [
        {
          type: 'text' as const,
          text: 'You build things. '.repeat(20),
          cache_control: { type: 'ephemeral' as const },
        },
      ],
    };
    const first = await client.messages.stream(cached).finalMessage();
    const second = await client.messages.create(cached);
    const prefix = Math.ceil(JSON.stringify({ system: cached.system }).length / 4);
    const total = Math.ceil(
      JSON.stringify({ system: cached.system, messages: params.messages }).length / 4,
    );
    expect(first.usage).toMatchObject({
      input_tokens: total - prefix,
      cache_creation_input_tokens: prefix,
      cache_read_input_tokens: 0,
    });
    expect(second.usage).toMatchObject({
      input_tokens: total - prefix,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: prefix,
    });
    expect((await client.messages.create(params)).usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
  });
});
