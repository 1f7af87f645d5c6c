import { afterEach, describe, expect, it } from 'vitest';
import { type Brain, type FakeAnthropic, startFakeAnthropic, text, toolUse } from './index.js';

// What goes over the wire, checked byte for byte where the SDK would forgive a difference.

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const turn: Brain = () => ({
  content: [text('Hello there, tester.'), toolUse('write_file', { path: 'a.js', content: 'é🙂x' })],
});

async function post(body: unknown, brain: Brain = turn, path = '/v1/messages') {
  const fake = await startFakeAnthropic({ brain });
  servers.push(fake);
  const res = await fetch(`${fake.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { res, fake, body: await res.text() };
}

const valid = {
  model: 'claude-sonnet-5-5',
  max_tokens: 100,
  messages: [{ role: 'user', content: 'hi' }],
};

describe('the wire format', () => {
  it('streams SSE frames in the order and shape the real API sends', async () => {
    const { res, body } = await post({ ...valid, stream: true });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('request-id')).toBe('req_fake_0');
    const frames = body.split('\n\n').filter(Boolean);
    const events = frames.map((frame) => {
      const [, type, data] = /^event: (\w+)\ndata: (.*)$/.exec(frame) ?? [];
      const event = JSON.parse(data ?? 'null');
      expect(event.type).toBe(type);
      return event;
    });
    const types = events.map((e) => (e.delta?.type ? `${e.type}:${e.delta.type}` : e.type));
    expect(types).toEqual([
      'message_start',
      'content_block_start',
      ...Array(3).fill('content_block_delta:text_delta'),
      'content_block_stop',
      'content_block_start',
      ...Array(3).fill('content_block_delta:input_json_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(events[0].message).toMatchObject({
      id: 'msg_fake_1',
      content: [],
      stop_reason: null,
      model: 'claude-sonnet-5-5',
    });
    expect(events[1].content_block).toMatchObject({ type: 'text', text: '' });
    expect(events[6].content_block).toMatchObject({
      type: 'tool_use',
      id: 'toolu_fake_1',
      name: 'write_file',
      input: {},
    });
    const json = events
      .slice(7, 10)
      .map((e) => e.delta.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ path: 'a.js', content: 'é🙂x' });
    expect(events[11]).toMatchObject({
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { output_tokens: expect.any(Number) },
    });
  });

  it('refuses bad JSON and missing fields with 400 naming the field, and records them', async () => {
    const cases: [unknown, RegExp][] = [
      ['{not json', /not valid JSON/],
      [{ ...valid, model: undefined }, /^model: field required/],
      [{ ...valid, max_tokens: 0 }, /^max_tokens: must be a positive integer \(got 0\)/],
      [{ ...valid, max_tokens: 1.5 }, /^max_tokens:/],
      [{ ...valid, messages: [] }, /^messages: must be a non-empty array/],
      [{ ...valid, messages: [{ role: 'bot', content: 'x' }] }, /^messages\.0\.role:/],
    ];
    for (const [body, message] of cases) {
      const { res, body: text, fake } = await post(body);
      expect(res.status).toBe(400);
      const error = JSON.parse(text);
      expect(error).toMatchObject({
        type: 'error',
        error: { type: 'invalid_request_error' },
        request_id: 'req_fake_0',
      });
      expect(error.error.message).toMatch(message);
      expect(fake.requests[0]?.rejected).toMatch(message);
    }
  });

  it('answers other paths with 404 not_found_error', async () => {
    const { res, body } = await post(valid, turn, '/v1/complete');
    expect(res.status).toBe(404);
    expect(JSON.parse(body)).toMatchObject({
      type: 'error',
      error: {
        type: 'not_found_error',
        message: expect.stringMatching(/only POST \/v1\/messages/),
      },
    });
  });

  it('answers 500 api_error with a sentence when the brain throws or returns nonsense', async () => {
    const thrown = await post(valid, () => {
      throw new Error('no script for this');
    });
    expect(thrown.res.status).toBe(500);
    expect(JSON.parse(thrown.body).error).toEqual({
      type: 'api_error',
      message: 'fake-anthropic could not answer: the brain threw: no script for this',
    });
    const nonsense = await post(valid, () => ({ content: [{ type: 'image' }] }) as never);
    expect(JSON.parse(nonsense.body).error.message).toMatch(
      /content\[0\] = \{"type":"image"\}; expected text/,
    );
  });
});
