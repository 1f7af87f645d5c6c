import { create } from '@bufbuild/protobuf';
import { type ReviewComment, ReviewCommentSchema } from '@codeframe/proto';
import type { Reading } from './tool-answer.js';

/** A reviewer's verdict on a task's branch, read from its submit_review call. */
export interface Verdict {
  approved: boolean;
  summary: string;
  comments: ReviewComment[];
}

const MAX_COMMENTS = 30;
const MAX_BODY_CHARS = 2_000;
const MAX_PATH_CHARS = 300;
const MAX_SUMMARY_CHARS = 2_000;

/** Reads submit_review's input, which the model wrote: a verdict, or why it is not one. */
export function readVerdict(input: unknown): Reading<Verdict> {
  const fail = (reason: string): Reading<Verdict> => ({ ok: false, reason });
  if (typeof input !== 'object' || input === null) return fail('the input is not an object');
  const { verdict, summary, comments } = input as Record<string, unknown>;
  if (verdict !== 'approve' && verdict !== 'request_changes') {
    return fail(
      `"verdict" must be "approve" or "request_changes", not ${JSON.stringify(verdict)?.slice(0, 50)}`,
    );
  }
  if (typeof summary !== 'string') return fail('"summary" must be a string');
  const list = comments ?? [];
  if (!Array.isArray(list)) return fail('"comments" must be an array');
  if (list.length > MAX_COMMENTS)
    return fail(`"comments" has ${list.length} items; at most ${MAX_COMMENTS} are allowed`);
  const read: ReviewComment[] = [];
  for (const [i, item] of list.entries()) {
    const { path, line, body } = (item ?? {}) as Record<string, unknown>;
    if (typeof path !== 'string' || !path.trim() || path.length > MAX_PATH_CHARS) {
      return fail(
        `comments[${i}].path must be a file path of at most ${MAX_PATH_CHARS} characters`,
      );
    }
    if (
      line !== undefined &&
      line !== null &&
      !(Number.isInteger(line) && (line as number) >= 0 && (line as number) < 2 ** 31)
    ) {
      return fail(`comments[${i}].line must be a line number (0 or more)`);
    }
    if (typeof body !== 'string' || !body.trim())
      return fail(`comments[${i}].body must say what to change`);
    read.push(
      create(ReviewCommentSchema, {
        path: path.trim(),
        line: (line as number | undefined) ?? 0,
        body: cut(body.trim(), MAX_BODY_CHARS),
      }),
    );
  }
  if (verdict === 'request_changes' && read.length === 0) {
    return fail('requesting changes needs at least one comment saying what to change');
  }
  return {
    ok: true,
    value: {
      approved: verdict === 'approve',
      summary: cut(summary.trim(), MAX_SUMMARY_CHARS),
      comments: read,
    },
  };
}

/** The verdict as the engineer reads it: the summary, then one "path:line: body" a comment. */
export function verdictText(verdict: Verdict): string {
  const lines = verdict.comments.map(
    (c) => `- ${c.path}${c.line > 0 ? `:${c.line}` : ''}: ${c.body.replace(/\s*\n\s*/g, ' ')}`,
  );
  return [verdict.summary, ...lines].filter(Boolean).join('\n');
}

function cut(text: string, chars: number): string {
  return text.length <= chars
    ? text
    : `${text.slice(0, chars)} [${text.length - chars} characters cut]`;
}
