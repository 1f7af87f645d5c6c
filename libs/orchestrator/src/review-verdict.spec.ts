import { describe, expect, it } from 'vitest';
import { readVerdict, verdictText } from './review-verdict.js';

const comment = { path: 'src/add.js', line: 3, body: 'add a test for add(-1, 1)' };

describe('readVerdict', () => {
  it('reads an approval and a request for changes with its comments', () => {
    expect(readVerdict({ verdict: 'approve', summary: 'Fine.', comments: [] })).toMatchObject({
      ok: true,
      value: { approved: true, summary: 'Fine.', comments: [] },
    });
    const asked = readVerdict({
      verdict: 'request_changes',
      summary: ' Untested. ',
      comments: [comment, { path: 'README.md', body: 'say how to run it' }],
    });
    expect(asked).toMatchObject({
      ok: true,
      value: {
        approved: false,
        summary: 'Untested.',
        comments: [comment, { path: 'README.md', line: 0, body: 'say how to run it' }],
      },
    });
    expect(asked.ok && verdictText(asked.value)).toBe(
      'Untested.\n- src/add.js:3: add a test for add(-1, 1)\n- README.md: say how to run it',
    );
  });

  it('refuses what is no verdict, with the reason', () => {
    const reason = (input: unknown) => {
      const read = readVerdict(input);
      return read.ok ? 'read' : read.reason;
    };
    expect(reason(null)).toBe('the input is not an object');
    expect(reason({ verdict: 'lgtm', summary: '' })).toMatch(
      /"verdict" must be "approve" or "request_changes"/,
    );
    expect(reason({ verdict: 'approve' })).toBe('"summary" must be a string');
    expect(reason({ verdict: 'approve', summary: '', comments: 'none' })).toBe(
      '"comments" must be an array',
    );
    expect(reason({ verdict: 'request_changes', summary: 'no', comments: [] })).toMatch(
      /at least one comment/,
    );
    expect(
      reason({ verdict: 'request_changes', summary: '', comments: [{ ...comment, line: -1 }] }),
    ).toMatch(/comments\[0\]\.line must be a line number/);
    expect(
      reason({ verdict: 'request_changes', summary: '', comments: [{ ...comment, line: 1.5 }] }),
    ).toMatch(/line/);
    expect(
      reason({ verdict: 'request_changes', summary: '', comments: [{ path: '', body: 'x' }] }),
    ).toMatch(/comments\[0\]\.path/);
    expect(
      reason({ verdict: 'request_changes', summary: '', comments: [{ path: 'a', body: ' ' }] }),
    ).toMatch(/comments\[0\]\.body must say what to change/);
    expect(reason({ verdict: 'approve', summary: '', comments: Array(31).fill(comment) })).toMatch(
      /at most 30/,
    );
  });

  it('caps a long body', () => {
    const read = readVerdict({
      verdict: 'request_changes',
      summary: '',
      comments: [{ path: 'a', body: 'x'.repeat(5000) }],
    });
    expect(read.ok && read.value.comments[0]!.body).toMatch(/^x{2000} \[3000 characters cut\]$/);
  });
});
