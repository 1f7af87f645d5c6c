// Text measured as a terminal shows it: a CJK character or an emoji takes two columns, a
// combining mark none. The live block and the tables fit and align by these widths.
import stringWidth from 'string-width';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The columns `text` takes in a terminal (text without control characters). */
export const displayWidth = (text: string): number => stringWidth(text);

/** `text` padded with spaces to `width` columns. */
export function padToWidth(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)));
}

/**
 * `text` cut to at most `width` columns, ending in `…` when cut. It cuts between grapheme
 * clusters, so an emoji sequence or a letter and its combining marks stay whole.
 */
export function fitToWidth(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const columns = stringWidth(segment);
    if (used + columns > width - 1) break;
    out += segment;
    used += columns;
  }
  return `${out}…`;
}
