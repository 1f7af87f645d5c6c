import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Brain,
  type FakeAnthropic,
  type FakeAnthropicOptions,
  lastToolResults,
  startFakeAnthropic,
  text,
  toolUse,
} from './index.js';

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(options: Partial<FakeAnthropicOptions> = {}) {
  const fake = await startFakeAnthropic({
    brain: () => ({
      content: [
        text('Writing the file now.'),
        toolUse('write_file', { path: 'a.js', content: 'x' }),
      ],
    }),
    ...options,
  });
  servers.push(fake);
  const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
  return { fake, client };
}

const params = {
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Build a.js' }],
};

describe('the Messages API as the real SDK sees it', () => {
  it('answers create() with the brain text and tool_use, ids and usage', async () => {
    const { client } = await setup();
    const message = await client.messages.create(params);
    expect(message).toMatchObject({
      id: 'msg_fake_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-5-5',
      stop_reason: 'tool_use',
      stop_sequence: null,
      content: [
        { type: 'text', text: 'Writing the file now.' },
        {
          type: 'tool_use',
          id: 'toolu_fake_1',
          name: 'write_file',
          input: { path: 'a.js', content: 'x' },
        },
      ],
    });
    expect(message.usage.input_tokens).toBe(
      Math.ceil(`user:${JSON.stringify({ type: 'text', text: 'Build a.js' })}`.length / 4),
    );
    expect(message.usage.output_tokens).toBe(
      Math.ceil(('Writing the file now.'.length + 'write_file'.length + 27) / 4),
    );
    expect(message._request_id).toBe('req_fake_0');
  });

  it('streams: finalMessage() has the parsed tool input, usage and stop reason; text arrives in deltas', async () => {
    const { client } = await setup();
    const stream = client.messages.stream(params);
    const deltas: string[] = [];
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Writing the file now.');
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content[1]).toMatchObject({
      type: 'tool_use',
      id: 'toolu_fake_1',
      name: 'write_file',
      input: { path: 'a.js', content: 'x' },
    });
    const nonStreamed = await client.messages.create(params);
    expect(message.usage.output_tokens).toBe(nonStreamed.usage.output_tokens);
    expect(message.usage.input_tokens).toBe(nonStreamed.usage.input_tokens);
  });

  it('ends a text-only turn with end_turn and honours a stop reason the brain gives', async () => {
    const { client } = await setup({
      brain: (_req, { requestIndex }) =>
        requestIndex === 0
          ? { content: [text('done')] }
          : { content: [text('cut')], stopReason: 'stop_sequence' },
    });
    expect((await client.messages.stream(params).finalMessage()).stop_reason).toBe('end_turn');
    const stopped = await client.messages.create({ ...params, stop_sequences: ['END'] });
    expect(stopped).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
  });

  it('records every request with its headers and body', async () => {
    const { client, fake } = await setup();
    await client.messages.create({ ...params, system: 'Be brief.' });
    await client.messages.stream(params).finalMessage();
    expect(fake.requests.map((r) => r.index)).toEqual([0, 1]);
    expect(fake.requests[0]).toMatchObject({
      headers: { authorization: 'Bearer test-key' },
      body: { system: 'Be brief.', messages: params.messages },
    });
    expect(fake.requests[0]?.time).toBeInstanceOf(Date);
    expect(fake.requests[1]?.body.stream).toBe(true);
  });

  it('lets a brain react to the tool results of the previous turn', async () => {
    const brain: Brain = (request) => {
      const failed = lastToolResults(request).find((r) => r.isError);
      if (failed)
        return {
          content: [text(`fixing after: ${failed.text}`), toolUse('edit_file', { fix: true })],
        };
      return { content: [toolUse('run_tests', {})] };
    };
    const { client, fake } = await setup({ brain });
    const first = await client.messages.create(params);
    const use = first.content[0];
    if (use?.type !== 'tool_use') throw new Error('expected a tool_use block');
    const second = await client.messages.create({
      ...params,
      messages: [
        ...params.messages,
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: use.id,
              content: '1 test failed: adds',
              is_error: true,
            },
          ],
        },
      ],
    });
    expect(second.content[0]).toMatchObject({
      type: 'text',
      text: 'fixing after: 1 test failed: adds',
    });
    expect(JSON.stringify(fake.requests[1]?.body.messages.at(-1))).toContain('1 test failed');
  });
});
