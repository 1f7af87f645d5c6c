import { invalidArgument } from './errors.js';

// C0 controls, DEL and C1 controls: what a terminal, a log viewer or a shell may act on.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
// Multi-line text keeps its line breaks and tabs (a PRD written on Windows has \r\n).
const LINE_BREAKS = new Set(['\n', '\r', '\t']);

/**
 * Refuses a text field with a control character, with INVALID_ARGUMENT naming the field,
 * the character's code point and its position (counted in characters, from 1). `multiline`
 * text may hold new lines, carriage returns and tabs.
 */
export function checkText(field: string, value: string, options: { multiline?: boolean } = {}) {
  if (!CONTROL.test(value)) return value;
  let position = 0;
  for (const char of value) {
    position++;
    if (!CONTROL.test(char) || (options.multiline && LINE_BREAKS.has(char))) continue;
    const code = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw invalidArgument(
      field,
      `contains the control character U+${code} at position ${position}: use printable text`,
    );
  }
  return value;
}
