import type { SavedOutputs } from './saved-outputs.js';
import { capText } from './text-pages.js';

/** What a tool result may hold for the model unless told otherwise (CODEFRAME_TOOL_RESULT_CHARS). */
export const DEFAULT_TOOL_RESULT_CHARS = 50_000;

/** Tools whose whole output is saved for read_output when the model sees it cut. */
const SAVED = new Set(['run_command', 'run_tests']);

/**
 * A tool result as the model gets it: whole when it fits in `maxChars`, else its head and
 * tail with a line saying what was cut and how to see it (read_file's offset and limit, or
 * read_output on the saved output).
 */
export function capToolResult(
  name: string,
  input: Record<string, unknown>,
  content: string,
  maxChars: number,
  saved: SavedOutputs,
): string {
  if (content.length <= maxChars) return content;
  let how = 'narrow the call to see them';
  if (name === 'read_file') {
    how = `call read_file with "path": ${JSON.stringify(input.path)} and "offset" and "limit" (lines) to read them`;
  } else if (name === 'read_output') {
    how = `call read_output with "id": ${JSON.stringify(input.id)} and a smaller "limit" to read them`;
  } else if (SAVED.has(name)) {
    const id = saved.save(content);
    how = `the whole output is saved as "${id}": call read_output with "id": "${id}" and "offset" and "limit" (lines) to read them, or narrow the command (grep, tail)`;
  }
  return capText(
    content,
    maxChars,
    (cut) =>
      `…[cut: lines ${cut.fromLine}–${cut.toLine} of ${cut.totalLines} (${cut.chars} characters) are not shown, the result being longer than ${maxChars} characters; ${how}]…`,
  ).text;
}
