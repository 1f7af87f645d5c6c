import Anthropic from '@anthropic-ai/sdk';
import type { MessageParam } from '@anthropic-ai/sdk/resources/messages';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic, text } from './index.js';
import { promptBlocks } from './prompt-blocks.js';

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const mark = { type: 'ephemeral' as const };
const system = [
  { type: 'text' as const, text: 'You build things. '.repeat(300), cache_control: mark },
];
const marked = (text: string) => [{ type: 'text' as const, text, cache_control: mark }];

async function client(options: Partial<Parameters<typeof startFakeAnthropic>[0]> = {}) {
  const fake = await startFakeAnthropic({ brain: () => ({ content: [text('ok')] }), ...options });
  servers.push(fake);
  return new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
}

const params = (messages: MessageParam[]) => ({
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  system,
  messages,
});
const prefix = (messages: MessageParam[], block: number) =>
  promptBlocks(params(messages))[block]!.prefixTokens;

describe('usage', () => {
  it('splits input into cache writes, cache reads and the rest, turn by turn with a moving breakpoint', async () => {
    const sdk = await client();
    const turn1: MessageParam[] = [{ role: 'user', content: marked('Build a.js') }];
    const first = await sdk.messages.stream(params(turn1)).finalMessage();
    expect(first.usage).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: prefix(turn1, 1),
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: prefix(turn1, 1), ephemeral_1h_input_tokens: 0 },
    });

    const turn2: MessageParam[] = [
      { role: 'user', content: 'Build a.js' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: marked('Now b.js') },
    ];
    const second = await sdk.messages.create(params(turn2));
    expect(second.usage).toMatchObject({
      input_tokens: 0,
      cache_creation_input_tokens: prefix(turn2, 3) - prefix(turn1, 1),
      cache_read_input_tokens: prefix(turn1, 1),
    });

    // Without cache_control nothing is read or written.
    const plain = {
      ...params([{ role: 'user', content: 'Build a.js' }]),
      system: 'You build things. '.repeat(300),
    };
    expect((await sdk.messages.create(plain)).usage).toMatchObject({
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    });
  });

  it('expires entries by the clock it is given', async () => {
    let now = 0;
    const sdk = await client({ promptCache: { clock: () => now } });
    const turn: MessageParam[] = [{ role: 'user', content: 'Build a.js' }];
    await sdk.messages.create(params(turn));
    now += 5 * 60_000;
    const late = await sdk.messages.create(params(turn));
    expect(late.usage).toMatchObject({
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: prefix(turn, 0),
    });
  });

  it('refuses more than four cache_control breakpoints, as the API does', async () => {
    const sdk = await client();
    const err = await sdk.messages
      .create(
        params([
          { role: 'user', content: marked('a') },
          { role: 'assistant', content: marked('b') },
          { role: 'user', content: [...marked('c'), ...marked('d')] },
        ]),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toMatch(
      /A maximum of 4 blocks with cache_control may be provided. Found 5./,
    );
  });
});
