import type { ExecuteTaskRequest } from '@codeframe/proto';

/** How much of the earlier attempt's failing test output the prompt carries (its tail). */
export const PREVIOUS_OUTPUT_CHARS = 4_000;
const PREVIOUS_ERROR_CHARS = 1_000;
/** How much of what the review asked for the prompt carries (its head). */
const PREVIOUS_REVIEW_CHARS = 8_000;

/** The prompt's section on the attempt before this one, when it did not complete: how it
 * ended, its failing output, and where its work is (this checkout, or a branch). */
export function previousAttemptSection(request: ExecuteTaskRequest): string | undefined {
  const previous = request.previousAttempt;
  if (!previous) return undefined;
  const review = cap(previous.review.trim(), PREVIOUS_REVIEW_CHARS, 'head');
  const parts =
    previous.outcome === 'changes_requested'
      ? [
          `## The review of your previous attempt (attempt ${previous.number}) asked for changes`,
          `Its tests passed, but a reviewer read its diff against the task and did not approve it yet. Address every comment (each names a file and, where it can, a line), keep what the review did not question, and run the tests again:\n${review}`,
        ]
      : [`## Your previous attempt (attempt ${previous.number}) did not complete`];
  const error = cap(previous.error.trim(), PREVIOUS_ERROR_CHARS, 'head');
  if (previous.outcome !== 'changes_requested' || error)
    parts.push(`It ended ${previous.outcome || 'without completing'}${error ? `: ${error}` : '.'}`);
  if (review && previous.outcome !== 'changes_requested') parts.push(`Its review: ${review}`);
  const output = previous.testOutput.trim();
  if (output) {
    parts.push(
      `Its last failing test output:\n\`\`\`\n${cap(output, PREVIOUS_OUTPUT_CHARS, 'tail')}\n\`\`\``,
    );
  }
  if (previous.branch && request.baseRef === previous.branch) {
    parts.push(
      `This checkout starts from its work (branch ${previous.branch}): look at what is there, keep what is sound and fix what failed rather than starting over.`,
    );
  } else if (previous.branch) {
    parts.push(
      `This checkout starts from ${request.baseRef}, which moved on since; the earlier work is on branch ${previous.branch} of the repository (origin/${previous.branch} in git), to reuse where it still fits.`,
    );
  } else {
    parts.push('It left no work to start from: this checkout starts afresh.');
  }
  return parts.join('\n\n');
}

function cap(text: string, chars: number, keep: 'head' | 'tail'): string {
  if (text.length <= chars) return text;
  const cut = `[${text.length - chars} characters cut]`;
  return keep === 'tail' ? `${cut}\n${text.slice(-chars)}` : `${text.slice(0, chars)} ${cut}`;
}
