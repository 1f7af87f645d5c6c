import type { BrainTurn, MessagesRequest } from '../brain.js';
import { firstUserText, text, toolUse } from '../brain-helpers.js';

// A reviewer the examples' brain plays when the lead asks for a review (the submit_review
// tool): it reads the diff it is sent and checks one thing for real, that code comes with
// tests. Code changed without any test changed is sent back, one comment per file.

const TEST_FILE =
  /(^|\/)(tests?|__tests__)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]*\.py$|_test\.py$/;
const CODE_FILE = /\.([cm]?[jt]sx?|py)$/;

/** Whether the request asks for a review verdict. */
export const isReviewRequest = (request: MessagesRequest) =>
  JSON.stringify(request.tools ?? []).includes('"submit_review"');

/** The files a unified diff adds or changes (not deletes), with each one's first new line. */
export function changedFiles(diff: string): { path: string; line: number }[] {
  const files: { path: string; line: number }[] = [];
  for (const section of diff.split(/^diff --git /m).slice(1)) {
    const path = /^\+\+\+ b\/(.+)$/m.exec(section)?.[1];
    if (!path) continue; // deleted, or binary
    const line = Number(/^@@ -\d+(?:,\d+)? \+(\d+)/m.exec(section)?.[1] ?? 0);
    files.push({ path, line });
  }
  return files;
}

export function reviewTurn(request: MessagesRequest): BrainTurn {
  const files = changedFiles(firstUserText(request));
  const tests = files.filter((f) => TEST_FILE.test(f.path));
  const code = files.filter((f) => CODE_FILE.test(f.path) && !TEST_FILE.test(f.path));
  if (code.length > 0 && tests.length === 0) {
    return {
      content: [
        text(`Reviewing: ${code.map((f) => f.path).join(', ')} changed, and no test with them.`),
        toolUse('submit_review', {
          verdict: 'request_changes',
          summary: 'The change adds code without a test that checks it.',
          comments: code.map((f) => ({
            path: f.path,
            line: f.line,
            body: `${f.path} changes without a test: add one that checks what it does.`,
          })),
        }),
      ],
    };
  }
  const shown = files.map((f) => f.path).join(', ') || 'nothing';
  return {
    content: [
      text(`Reviewing: ${shown}.`),
      toolUse('submit_review', {
        verdict: 'approve',
        summary: `Changes ${shown}; ${tests.length} test file(s) with it.`,
        comments: [],
      }),
    ],
  };
}
