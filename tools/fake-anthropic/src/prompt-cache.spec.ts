import type { MessageParam, TextBlockParam } from '@anthropic-ai/sdk/resources/messages';
import { describe, expect, it } from 'vitest';
import type { MessagesRequest } from './brain.js';
import { promptBlocks } from './prompt-blocks.js';
import { LOOKBACK_BLOCKS, PromptCache } from './prompt-cache.js';

const MINUTE = 60_000;
const mark = { type: 'ephemeral' as const };

/** A system prompt of about 1,250 tokens: past the 1,024-token minimum on its own. */
const bigSystem = (cache = true): TextBlockParam[] => [
  {
    type: 'text',
    text: 'You build things carefully. '.repeat(180),
    ...(cache && { cache_control: mark }),
  },
];

/** `n` alternating messages of one text block each, the last one marked when `markLast`. */
function conversation(n: number, markLast = true, salt = ''): MessageParam[] {
  return Array.from({ length: n }, (_, i) => {
    const text = `turn ${i}${salt}: ${'some words of the conversation '.repeat(3)}`;
    const last = i === n - 1 && markLast;
    return {
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: last ? [{ type: 'text', text, cache_control: mark }] : text,
    };
  });
}

const request = (
  messages: MessageParam[],
  system: TextBlockParam[] = bigSystem(),
): MessagesRequest => ({ model: 'claude-sonnet-5-5', max_tokens: 100, system, messages });

const totalOf = (r: MessagesRequest) => promptBlocks(r).at(-1)!.prefixTokens;
/** Tokens of the prefix ending with block `i` (0 is the system block). */
const prefixAt = (r: MessagesRequest, i: number) => promptBlocks(r)[i]!.prefixTokens;

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

describe('PromptCache', () => {
  it('counts about four characters a token, block by block, tools then system then messages', () => {
    const r: MessagesRequest = {
      model: 'm',
      max_tokens: 1,
      tools: [{ name: 'read_file', input_schema: { type: 'object' } }],
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Build a.js' }],
    };
    const chars = [
      `tool:${JSON.stringify({ name: 'read_file', input_schema: { type: 'object' } })}`,
      `system:${JSON.stringify({ type: 'text', text: 'Be brief.' })}`,
      `user:${JSON.stringify({ type: 'text', text: 'Build a.js' })}`,
    ].map((s) => Math.ceil(s.length / 4));
    expect(promptBlocks(r).map((b) => b.tokens)).toEqual(chars);
    expect(new PromptCache().account(r)).toEqual({
      read: 0,
      written: { '5m': 0, '1h': 0 },
      uncached: chars[0]! + chars[1]! + chars[2]!,
    });
  });

  it('writes the prefix at each breakpoint and reads it back when the prefix matches', () => {
    const cache = new PromptCache();
    const first = request(conversation(3));
    const whole = prefixAt(first, 3);
    expect(cache.account(first)).toEqual({
      read: 0,
      written: { '5m': whole, '1h': 0 },
      uncached: 0,
    });
    expect(cache.account(first)).toEqual({
      read: whole,
      written: { '5m': 0, '1h': 0 },
      uncached: 0,
    });

    // Another conversation behind the same system prompt reads the entry of the first
    // request's system breakpoint, though that request's last breakpoint was further on.
    const other = request(conversation(3, true, ' (other)'));
    const system = prefixAt(other, 0);
    expect(cache.account(other)).toEqual({
      read: system,
      written: { '5m': totalOf(other) - system, '1h': 0 },
      uncached: 0,
    });

    // What follows the last breakpoint is neither read nor written.
    const unmarked = request(conversation(3, false));
    expect(cache.account(unmarked)).toEqual({
      read: system,
      written: { '5m': 0, '1h': 0 },
      uncached: totalOf(unmarked) - system,
    });
  });

  it('moves with the conversation: a breakpoint on the latest message reads every earlier turn', () => {
    const cache = new PromptCache();
    cache.account(request(conversation(3)));
    const next = request(conversation(5));
    expect(cache.account(next)).toEqual({
      read: prefixAt(next, 3),
      written: { '5m': totalOf(next) - prefixAt(next, 3), '1h': 0 },
      uncached: 0,
    });
  });

  it('caches no prefix shorter than the minimum cacheable length (1,024 tokens, 2,048 for Haiku)', () => {
    const short: TextBlockParam[] = [
      { type: 'text', text: 'Short prompt. '.repeat(200), cache_control: mark },
    ];
    const r = request([{ role: 'user', content: 'hi' }], short);
    expect(prefixAt(r, 0)).toBeLessThan(1024);
    const cache = new PromptCache();
    const none = { read: 0, written: { '5m': 0, '1h': 0 }, uncached: totalOf(r) };
    expect(cache.account(r)).toEqual(none);
    expect(cache.account(r)).toEqual(none);

    const haiku = { ...request(conversation(1, false)), model: 'claude-haiku-5' };
    expect(prefixAt(haiku, 0)).toBeGreaterThan(1024);
    expect(prefixAt(haiku, 0)).toBeLessThan(2048);
    expect(cache.account(haiku)).toMatchObject({ read: 0, written: { '5m': 0 } });

    const configured = new PromptCache({ minTokens: 100 });
    configured.account(r);
    expect(configured.account(r).read).toBe(prefixAt(r, 0));
  });

  it(`finds an earlier entry up to ${LOOKBACK_BLOCKS} blocks before a breakpoint, not further`, () => {
    const start = request(conversation(2), bigSystem(false));
    const reach = (added: number) => {
      const cache = new PromptCache();
      cache.account(start);
      return cache.account(request(conversation(2 + added), bigSystem(false))).read;
    };
    // The entry sits at block 2 (system, then two messages).
    expect(reach(LOOKBACK_BLOCKS)).toBe(prefixAt(start, 2));
    expect(reach(LOOKBACK_BLOCKS + 1)).toBe(0);

    // A second breakpoint within reach of the entry bridges a longer gap.
    const cache = new PromptCache();
    cache.account(start);
    const messages = conversation(2 + LOOKBACK_BLOCKS + 5);
    messages[3] = {
      role: 'assistant',
      content: [{ type: 'text', text: messages[3]!.content as string, cache_control: mark }],
    };
    expect(cache.account(request(messages, bigSystem(false))).read).toBe(prefixAt(start, 2));
  });

  it('lets an entry expire after 5 minutes unread, each read renewing it, and after 1 hour with ttl "1h"', () => {
    const { time, now } = clock();
    const cache = new PromptCache({ clock: now });
    const r = request(conversation(1, false));
    const system = prefixAt(r, 0);
    cache.account(r);
    time.now += 5 * MINUTE - 1;
    expect(cache.account(r).read).toBe(system);
    time.now += 5 * MINUTE - 1;
    expect(cache.account(r).read).toBe(system);
    time.now += 5 * MINUTE;
    expect(cache.account(r)).toMatchObject({ read: 0, written: { '5m': system } });

    const long = request(conversation(1, false), [
      { ...bigSystem()[0]!, cache_control: { type: 'ephemeral', ttl: '1h' } },
    ]);
    const hourly = new PromptCache({ clock: now });
    expect(hourly.account(long)).toMatchObject({ read: 0, written: { '5m': 0, '1h': system } });
    time.now += 60 * MINUTE - 1;
    expect(hourly.account(long).read).toBe(system);
    time.now += 60 * MINUTE;
    expect(hourly.account(long)).toMatchObject({ read: 0, written: { '1h': system } });
  });

  it('reads nothing past a change early in the conversation: what follows is written again', () => {
    const cache = new PromptCache();
    const before = request(conversation(9));
    cache.account(before);
    const changed = conversation(11);
    changed[1] = { role: 'assistant', content: 'an elided turn' };
    const after = request(changed);
    expect(cache.account(after)).toEqual({
      read: prefixAt(after, 0),
      written: { '5m': totalOf(after) - prefixAt(after, 0), '1h': 0 },
      uncached: 0,
    });
  });

  it('takes a string as the text block it stands for, so marking the latest message keeps the prefix', () => {
    const cache = new PromptCache();
    const asString = request(conversation(3));
    cache.account(asString);
    const asBlocks = conversation(5);
    asBlocks[2] = {
      role: 'user',
      content: [{ type: 'text', text: asBlocks[2]!.content as string }],
    };
    expect(cache.account(request(asBlocks)).read).toBe(prefixAt(asString, 3));
  });
});
