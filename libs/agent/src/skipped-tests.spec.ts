import { describe, expect, it } from 'vitest';
import { addedSkips, asksToSkipTests } from './skipped-tests.js';

describe('added lines that skip a test', () => {
  it('finds the skips of each framework the worker reads', () => {
    const lines = [
      "it.skip('a', () => {});",
      "test.todo('b');",
      "describe.skip('c', () => {});",
      "xit('d', () => {});",
      "test('e', { skip: true }, () => {});",
      "test('f', { todo: 'later' }, () => {});",
      '  t.skip();',
      '@pytest.mark.skip(reason="flaky")',
      '@unittest.skip("later")',
      '    t.Skip("needs a network")',
      '#[ignore]',
      '@Disabled',
    ];
    expect(addedSkips('x.test.js', undefined, lines.join('\n'))).toHaveLength(lines.length);
  });

  it('counts only the skips the base did not have, with their line numbers', () => {
    const before = "test('a', () => {});\ntest.skip('old', () => {});\n";
    const after = "test.skip('old', () => {});\ntest('a', () => {});\nit.skip('new', () => {});\n";
    expect(addedSkips('a.test.js', before, after)).toEqual([
      "a.test.js:3: it.skip('new', () => {});",
    ]);
  });

  it('leaves conditional skips and ordinary code alone', () => {
    const code = [
      "test('win', { skip: process.platform === 'win32' }, () => {});",
      'const skipped = rows.filter((r) => r.skip);',
      "expect(parse('a')).toEqual({ skipEmpty: true });",
    ].join('\n');
    expect(addedSkips('a.test.js', undefined, code)).toEqual([]);
  });

  it('lets a task that asks for a skip have it', () => {
    const task = { title: 'Skip the flaky network test', description: '', acceptanceCriteria: [] };
    expect(asksToSkipTests(task)).toBe(true);
    expect(asksToSkipTests({ ...task, title: 'Count values, skipping empty ones' })).toBe(false);
  });
});
