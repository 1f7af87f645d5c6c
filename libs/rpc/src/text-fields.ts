import { firstControlCharacter } from '@codeframe/runtime';
import { invalidArgument } from './errors.js';

// Multi-line text keeps its line breaks and tabs (a PRD written on Windows has \r\n).
const LINE_BREAKS = new Set(['\n', '\r', '\t']);

/**
 * Refuses a text field with a control character, with INVALID_ARGUMENT naming the field,
 * the character's code point and its position (counted in characters, from 1). `multiline`
 * text may hold new lines, carriage returns and tabs.
 */
export function checkText(field: string, value: string, options: { multiline?: boolean } = {}) {
  const found = firstControlCharacter(value, options.multiline ? LINE_BREAKS : undefined);
  if (!found) return value;
  const code = found.code.toString(16).toUpperCase().padStart(4, '0');
  throw invalidArgument(
    field,
    `contains the control character U+${code} at position ${found.position}: use printable text`,
  );
}
