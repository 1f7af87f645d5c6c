import { describe, expect, it } from 'vitest';
import type { MessagesRequest } from '../brain.js';
import { changedFiles, reviewTurn } from './diff-reviewer.js';

const fileDiff = (path: string, line = 1) =>
  `diff --git a/${path} b/${path}\nnew file mode 100644\n--- /dev/null\n+++ b/${path}\n@@ -0,0 +${line},2 @@\n+a\n+b\n`;
const deleted = (path: string) =>
  `diff --git a/${path} b/${path}\ndeleted file mode 100644\n--- a/${path}\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n`;
const request = (diff: string): MessagesRequest => ({
  model: 'm',
  max_tokens: 100,
  messages: [
    { role: 'user', content: `# Review of task cli: CLI\n\n## Diff\n\`\`\`diff\n${diff}\`\`\`` },
  ],
  tools: [{ name: 'submit_review', input_schema: { type: 'object' } }],
});
const verdictOf = (diff: string) =>
  reviewTurn(request(diff)).content.find((b) => b.type === 'tool_use')?.input;

describe('the examples reviewer', () => {
  it('reads the files a diff adds or changes, with their first new line; not deleted ones', () => {
    expect(
      changedFiles(fileDiff('bin/cli.js', 3) + deleted('old.js') + fileDiff('test/cli.test.js')),
    ).toEqual([
      { path: 'bin/cli.js', line: 3 },
      { path: 'test/cli.test.js', line: 1 },
    ]);
  });

  it('sends back code changed without a test, one comment per file', () => {
    expect(
      verdictOf(fileDiff('bin/cli.js', 1) + fileDiff('src/a.ts', 4) + fileDiff('README.md')),
    ).toEqual({
      verdict: 'request_changes',
      summary: 'The change adds code without a test that checks it.',
      comments: [
        {
          path: 'bin/cli.js',
          line: 1,
          body: 'bin/cli.js changes without a test: add one that checks what it does.',
        },
        {
          path: 'src/a.ts',
          line: 4,
          body: 'src/a.ts changes without a test: add one that checks what it does.',
        },
      ],
    });
  });

  it('approves code that comes with a test, and changes with no code', () => {
    expect(verdictOf(fileDiff('bin/cli.js') + fileDiff('test/cli.test.js'))).toMatchObject({
      verdict: 'approve',
    });
    expect(verdictOf(fileDiff('src/a.py') + fileDiff('tests/test_a.py'))).toMatchObject({
      verdict: 'approve',
    });
    expect(verdictOf(fileDiff('test/fixtures/cities.csv'))).toMatchObject({ verdict: 'approve' });
  });
});
