import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import type { MessagesRequest } from './brain.js';
import {
  conversationText,
  lastToolResults,
  lastUserText,
  paddedTurn,
  passingTest,
  text,
  toolUse,
} from './brain-helpers.js';
import { startFakeAnthropic } from './fake-anthropic.js';

const request: MessagesRequest = {
  model: 'm',
  max_tokens: 10,
  messages: [
    { role: 'user', content: 'Build a calculator.' },
    {
      role: 'assistant',
      content: [
        { type: 'text', text: 'Running the tests.' },
        { type: 'tool_use', id: 'toolu_1', name: 'run_tests', input: { all: true } },
        { type: 'tool_use', id: 'toolu_2', name: 'read_file', input: { path: 'a.js' } },
      ],
    },
    {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_1',
          is_error: true,
          content: [
            { type: 'text', text: 'tests failed' },
            { type: 'text', text: '1 failing' },
          ],
        },
        { type: 'tool_result', tool_use_id: 'toolu_2', content: 'export {}' },
        { type: 'text', text: 'Keep going.' },
      ],
    },
  ],
};

describe('brain helpers', () => {
  it('reads the tool results of the last user message, with names, text and is_error', () => {
    expect(lastToolResults(request)).toEqual([
      { toolUseId: 'toolu_1', name: 'run_tests', text: 'tests failed\n1 failing', isError: true },
      { toolUseId: 'toolu_2', name: 'read_file', text: 'export {}', isError: false },
    ]);
    expect(lastToolResults({ ...request, messages: request.messages.slice(0, 1) })).toEqual([]);
  });

  it('reads the last user text and the whole conversation as text', () => {
    expect(lastUserText(request)).toBe('Keep going.');
    expect(conversationText(request)).toBe(
      [
        'Build a calculator.',
        'Running the tests.',
        'run_tests {"all":true}',
        'read_file {"path":"a.js"}',
        'tests failed\n1 failing',
        'export {}',
        'Keep going.',
      ].join('\n'),
    );
  });

  it('builds turn blocks', () => {
    expect(text('hi')).toEqual({ type: 'text', text: 'hi' });
    expect(toolUse('finish', { summary: 'ok' })).toEqual({
      type: 'tool_use',
      name: 'finish',
      input: { summary: 'ok' },
    });
    expect(toolUse('finish', {}, 'toolu_x')).toMatchObject({ id: 'toolu_x' });
  });

  it('writes a passing node:test file that node --test finds', async () => {
    const block = passingTest('api');
    expect(block).toMatchObject({ name: 'write_file', input: { path: 'api.test.mjs' } });
    const dir = await mkdtemp(join(tmpdir(), 'passing-test-'));
    try {
      await writeFile(join(dir, 'api.test.mjs'), String(block.input.content));
      const out = execFileSync(process.execPath, ['--test'], { cwd: dir, encoding: 'utf8' });
      expect(out).toMatch(/^(?:ℹ|#) pass 1$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('pads a turn to a known output size, so a call has a known cost', async () => {
    const calls = [
      [toolUse('write_file', { path: 'a.txt', content: 'a' })],
      [text('thinking'), toolUse('finish', { summary: 'a longer summary than before' })],
    ];
    const fake = await startFakeAnthropic({
      brain: (req) => paddedTurn(calls[(req.messages.length - 1) / 2]!, 400),
    });
    try {
      const client = new Anthropic({ apiKey: 'k', baseURL: fake.url, maxRetries: 0 });
      const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'go' }];
      const first = await client.messages.create({ model: 'm', max_tokens: 10, messages });
      messages.push({ role: 'assistant', content: first.content }, { role: 'user', content: 'on' });
      const second = await client.messages.create({ model: 'm', max_tokens: 10, messages });
      expect([first.usage.output_tokens, second.usage.output_tokens]).toEqual([100, 100]);
      expect(first.content.at(-1)).toMatchObject({ type: 'tool_use', name: 'write_file' });
    } finally {
      await fake.close();
    }
    expect(() => paddedTurn([text('x'.repeat(400))], 400)).toThrow(/already 400 characters/);
  });
});
