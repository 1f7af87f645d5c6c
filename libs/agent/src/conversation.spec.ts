import type { ContentBlockParam, MessageParam } from '@codeframe/llm';
import { emptyUsage } from '@codeframe/llm';
import { describe, expect, it } from 'vitest';
import { Conversation } from './conversation.js';
import { KEEP_TURNS } from './tool-result-elision.js';

// Superseded tool results are elided in rare batches, and an elided one is never changed
// again: each change to an earlier message costs the prompt cache from there on.

const bulky = (what: string) => `${what}\n${'x'.repeat(5_000)}`;

/** One turn: the model calls `name` with `input`, the result comes back as `result`. */
function turn(c: Conversation, n: number, name: string, input: object, result: string) {
  const id = `toolu_${n}`;
  c.push({ role: 'assistant', content: [{ type: 'tool_use', id, name, input }] });
  c.measured({ ...emptyUsage(), inputTokens: 1_000 * n, outputTokens: 10, calls: 1 });
  c.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: result }] });
}

const resultOf = (m: MessageParam | undefined) =>
  ((m!.content as ContentBlockParam[])[0] as { content: string }).content;

describe('Conversation', () => {
  it('elides superseded results once past the elision share, in batches, and never again', () => {
    const c = new Conversation('the task', { windowTokens: 100_000, elidePercent: 5 });
    turn(c, 1, 'read_file', { path: 'a.ts' }, bulky('a, first read'));
    turn(c, 2, 'run_tests', {}, bulky('tests, first run'));
    turn(c, 3, 'run_command', { command: 'ls' }, bulky('ls output'));
    turn(c, 4, 'read_file', { path: 'b.ts' }, bulky('b, read once'));
    turn(c, 5, 'read_file', { path: 'a.ts' }, bulky('a, read again'));
    turn(c, 6, 'run_tests', {}, bulky('tests, second run'));
    for (let n = 7; n < 7 + KEEP_TURNS; n++) turn(c, n, 'list_files', {}, 'small');
    // Too early: the first batch waits some turns.
    c.prepare(3);
    expect(resultOf(c.messages[2])).toMatch(/^a, first read/);
    c.prepare(8);
    const results = c.messages.filter((_, i) => i % 2 === 0 && i > 0).map(resultOf);
    expect(results.slice(0, 6)).toEqual([
      '[elided: the result of read_file "a.ts" (5014 characters), superseded by a later read or change of that file; read it again if you need it]',
      '[elided: the result of run_tests (5017 characters), superseded by a later test run]',
      '[elided: the result of run_command "ls" (5010 characters), an older output; run the call again if you need it]',
      bulky('b, read once'),
      bulky('a, read again'),
      bulky('tests, second run'),
    ]);
    const before = JSON.stringify(c.messages);
    c.prepare(30);
    expect(JSON.stringify(c.messages)).toBe(before);
  });

  it('compacts to the first prompt and the summary, and says how many tokens it went from and to', () => {
    const c = new Conversation('the task', { windowTokens: 10_000, compactPercent: 50 });
    turn(c, 1, 'read_file', { path: 'a.ts' }, bulky('a'));
    turn(c, 5, 'read_file', { path: 'b.ts' }, bulky('b'));
    expect(c.prepare(2).compact).toBe(true);
    expect(JSON.stringify(c.compactionMessages().at(-1))).toMatch(/summary of your progress/);
    const { before, after } = c.compact('I read a.ts and b.ts.');
    expect(before).toBeGreaterThan(5_000);
    expect(after).toBeLessThan(1_200);
    expect(c.messages).toHaveLength(1);
    expect(JSON.stringify(c.messages[0])).toMatch(/the task[\s\S]*I read a\.ts and b\.ts\./);
    expect(c.prepare(3).compact).toBe(false);
  });
});
