import Anthropic from '@anthropic-ai/sdk';
import type { Logger } from '@codeframe/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeAnthropic,
  type FakeAnthropicOptions,
  startFakeAnthropic,
  text,
} from './index.js';

const servers: FakeAnthropic[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function setup(options: Partial<FakeAnthropicOptions> = {}) {
  const fake = await startFakeAnthropic({ brain: () => ({ content: [text('ok')] }), ...options });
  servers.push(fake);
  const client = new Anthropic({ apiKey: 'test-key', baseURL: fake.url, maxRetries: 0 });
  return { fake, client };
}

/** Records what is logged, pino-style (`(fields, msg)`), without a pino of our own. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const at = (level: string) => (fields: object | string, msg?: string) => {
    lines.push(typeof fields === 'string' ? { level, msg: fields } : { level, ...fields, msg });
  };
  const logger = {
    ...Object.fromEntries(
      ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((l) => [l, at(l)]),
    ),
    child: () => logger,
  } as unknown as Logger;
  return { logger, lines };
}

const params = {
  model: 'claude-sonnet-5-5',
  max_tokens: 1024,
  messages: [{ role: 'user' as const, content: 'Build a.js' }],
};

describe('the server', () => {
  it('says at start that it is an offline stand-in, not a model, and logs each request at debug', async () => {
    const { logger, lines } = recordingLogger();
    const { client, fake } = await setup({ logger, faults: [{ kind: 'overloaded' }] });
    expect(lines[0]).toMatchObject({ level: 'info', url: fake.url });
    expect(String(lines[0]?.msg)).toMatch(
      /offline scripted stand-in for the Anthropic Messages API, not a model/,
    );
    await client.messages.create(params).catch(() => undefined);
    await client.messages.create(params);
    const requests = lines.filter((l) => l.msg === 'messages request');
    expect(requests.map((l) => [l.level, l.requestIndex, l.fault])).toEqual([
      ['debug', 0, 'overloaded'],
      ['debug', 1, undefined],
    ]);
  });

  it('aborts the brain signal when the client goes away, and close() ends open streams', async () => {
    let aborted: Promise<unknown> | undefined;
    const { client, fake } = await setup({
      brain: (_req, { signal, requestIndex }) => {
        if (requestIndex > 0) return { content: [text('slow '.repeat(50))] };
        aborted = new Promise((resolve) => signal.addEventListener('abort', resolve));
        return aborted.then(() => ({ content: [text('too late')] }));
      },
      eventDelayMs: 1_000,
    });
    const controller = new AbortController();
    const pending = client.messages
      .create(params, { signal: controller.signal })
      .catch((e: unknown) => e);
    await expect.poll(() => aborted !== undefined).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Anthropic.APIUserAbortError);
    await aborted;
    const slow = client.messages.stream(params);
    await new Promise((resolve) => slow.on('streamEvent', resolve));
    const started = Date.now();
    await fake.close();
    expect(Date.now() - started).toBeLessThan(500);
    await expect(slow.finalMessage()).rejects.toThrow();
  });

  it('says which port is in use when it cannot listen', async () => {
    const { fake } = await setup();
    await expect(setup({ port: fake.port })).rejects.toThrow(
      `cannot listen on 127.0.0.1:${fake.port}: the port is in use (set PORT to a free port, or 0 for any)`,
    );
  });
});
