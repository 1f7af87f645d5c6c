// Text too long for the model's context, cut or paged by lines: a tool result keeps its head
// and tail with a line in between saying what was cut, and a page is a range of lines.

/** A tool result's text after the cap, and which lines were left out when any were. */
export interface CappedText {
  text: string;
  /** 1-based lines (the first and last partly) and characters that were cut. */
  cut?: { fromLine: number; toLine: number; totalLines: number; chars: number };
}

/** Room kept for the line that says what was cut. */
const NOTE_ROOM = 400;

/**
 * Keeps `text` whole when it fits in `maxChars`; otherwise its head (about 60%) and tail,
 * cut at line ends when one is near, joined by the line `note(cut)` returns.
 */
export function capText(
  text: string,
  maxChars: number,
  note: (cut: NonNullable<CappedText['cut']>) => string,
): CappedText {
  if (text.length <= maxChars) return { text };
  const room = Math.max(0, maxChars - NOTE_ROOM);
  const headRoom = Math.floor(room * 0.6);
  let head = headRoom;
  const headLineEnd = text.lastIndexOf('\n', headRoom - 1);
  if (headLineEnd >= headRoom * 0.8) head = headLineEnd + 1;
  const tailRoom = room - head;
  let tail = text.length - tailRoom;
  const tailLineStart = text.indexOf('\n', tail);
  if (tailLineStart >= 0 && tailLineStart + 1 - tail <= tailRoom * 0.2) tail = tailLineStart + 1;
  const cut = {
    fromLine: lineAt(text, head),
    toLine: lineAt(text, Math.max(head, tail - 1)),
    totalLines: lineAt(text, text.length - 1),
    chars: tail - head,
  };
  const before = text.slice(0, head);
  const sep = before.endsWith('\n') || before === '' ? '' : '\n';
  return { text: `${before}${sep}${note(cut)}\n${text.slice(tail)}`, cut };
}

/** The 1-based line that the character at `index` is on. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf('\n'); at >= 0 && at < index; at = text.indexOf('\n', at + 1)) line++;
  return line;
}

/** Lines `offset`..`offset + limit - 1` (1-based) of `text`, and where they sit in it. */
export interface Page {
  text: string;
  first: number;
  last: number;
  totalLines: number;
}

export function pageOf(text: string, offset: number, limit: number | undefined): Page {
  const lines = text.split('\n');
  if (lines.length > 1 && lines.at(-1) === '') lines.pop();
  const first = Math.max(1, offset);
  const end = limit === undefined ? lines.length : Math.min(lines.length, first - 1 + limit);
  const shown = lines.slice(first - 1, end);
  return {
    text: shown.join('\n'),
    first,
    last: first - 1 + shown.length,
    totalLines: lines.length,
  };
}

/** The line under a page: which lines it showed and how to go on. */
export function pageFooter(page: Page, more: string): string {
  if (page.last < page.first) {
    return `…(no lines from line ${page.first}: it has ${page.totalLines} lines)`;
  }
  const next =
    page.last < page.totalLines ? `; ${more} with offset ${page.last + 1} for the next` : '';
  return `…(lines ${page.first}–${page.last} of ${page.totalLines}${next})`;
}
