import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

// The built entry point as its own process, the way the offline demo runs it.

const entry = fileURLToPath(new URL('../dist/main.js', import.meta.url));
type LogLine = Record<string, unknown>;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function start(env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [entry], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs: LogLine[] = [];
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => logs.push(JSON.parse(line) as LogLine));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, logs, exited, stderr: () => stderr };
}

describe('node tools/fake-anthropic/dist/main.js', () => {
  beforeAll(() => {
    if (!existsSync(entry)) {
      throw new Error(
        `${entry} is missing: build it first (npx tsc -b tsconfig.lib.json in tools/fake-anthropic)`,
      );
    }
  });

  it('logs that it is a stand-in and listening, echoes through the real SDK, stops on SIGTERM', async () => {
    const proc = start();
    await expect
      .poll(() => proc.logs.find((l) => l.msg === 'listening'), { timeout: 10_000 })
      .toBeDefined();
    const listening = proc.logs.find((l) => l.msg === 'listening')!;
    expect(listening).toMatchObject({
      listener: 'http',
      port: expect.any(Number),
      url: `http://127.0.0.1:${listening.port}`,
      brain: 'echo',
    });
    expect(
      proc.logs.some((l) => /offline scripted stand-in .* not a model/.test(String(l.msg))),
    ).toBe(true);

    const client = new Anthropic({
      apiKey: 'test-key',
      baseURL: String(listening.url),
      maxRetries: 0,
    });
    const message = await client.messages
      .stream({
        model: 'claude-sonnet-5-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'say this back' }],
      })
      .finalMessage();
    expect(message.content).toMatchObject([{ type: 'text', text: 'say this back' }]);

    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });

  it('stops with a configuration error naming the variable and the known brains', async () => {
    const proc = start({ CODEFRAME_FAKE_BRAIN: 'oracle' });
    expect(await proc.exited).toBe(78);
    expect(proc.stderr()).toBe(
      'fake-anthropic: configuration error: CODEFRAME_FAKE_BRAIN="oracle" is not a known brain (known brains: echo, examples, self-correcting-module, lint-correcting-module, step-by-step-module, many-files, broken-page)\n',
    );
  });
});
