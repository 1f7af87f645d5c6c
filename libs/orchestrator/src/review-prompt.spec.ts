import { create } from '@bufbuild/protobuf';
import { TaskResultSchema, TaskSchema } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { cappedDiff, reviewPrompt } from './review-prompt.js';

const file = (path: string, lines: number) =>
  `diff --git a/${path} b/${path}\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +1,${lines} @@\n${'+line\n'.repeat(lines)}`;

describe('the review prompt', () => {
  it('shows a small diff whole, fenced', () => {
    expect(cappedDiff(file('a.js', 2), '2\t0\ta.js\n')).toBe(
      `\`\`\`diff\n${file('a.js', 2).trimEnd()}\n\`\`\``,
    );
    expect(cappedDiff('', '')).toBe('The branch changes nothing against main.');
  });

  it("cuts a large diff at a file's boundary and names the files left out", () => {
    const patch = file('a.js', 10) + file('b.js', 100) + file('c.js', 5);
    const shown = cappedDiff(
      patch,
      '10\t0\ta.js\n100\t0\tb.js\n5\t0\tc.js\n',
      file('a.js', 10).length + 10,
    );
    expect(shown).toContain('+++ b/a.js');
    expect(shown).not.toContain('+++ b/b.js');
    expect(shown).toContain(
      `[The diff is ${patch.length} characters; 2 of its 3 files are not shown: b.js (+100 -0), c.js (+5 -0)]`,
    );
  });

  it('cuts inside a first file larger than the cap', () => {
    const shown = cappedDiff(file('big.js', 1000), '1000\t0\tbig.js\n', 500);
    expect(shown).toContain("[this file's diff is cut here]");
    expect(shown.length).toBeLessThan(800);
  });

  it('holds the task, its criteria, the summary, the tests and the diff', () => {
    const task = create(TaskSchema, {
      id: 't1',
      key: 'adder',
      title: 'Add numbers',
      description: 'An add function.',
      acceptanceCriteria: ['adds negatives'],
      gates: [
        { name: 'skipped-tests', command: 'git diff', passed: true },
        { name: 'lint', command: 'npm run lint', passed: true },
      ],
    });
    const result = create(TaskResultSchema, {
      summary: 'Wrote add.js',
      tests: { command: 'node --test', framework: 'node:test', passed: 2, output: 'ok 1\nok 2' },
    });
    const prompt = reviewPrompt(task, result, '```diff\n+x\n```');
    expect(prompt).toContain('# Review of task adder: Add numbers\n\nAn add function.');
    expect(prompt).toContain('## Acceptance criteria\n- adds negatives');
    expect(prompt).toContain("## The engineer's summary\nWrote add.js");
    expect(prompt).toContain(
      '`node --test` (node:test): 2 passed, 0 failed, 0 skipped, exit code 0.\n```\nok 1\nok 2\n```',
    );
    expect(prompt).toContain(
      '## Quality gates\n- skipped-tests (`git diff`): passed\n- lint (`npm run lint`): passed',
    );
    expect(prompt).toContain('## Diff of task/t1 against main\n```diff\n+x\n```');
    expect(reviewPrompt(create(TaskSchema, { id: 't2' }), result, '')).toContain(
      '## Quality gates\nThe project defines none.',
    );
  });
});
