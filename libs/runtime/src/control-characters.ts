/**
 * C0 controls, DEL and C1 controls: what a terminal, a log viewer or a shell may act on
 * (ESC starts the sequences that clear a screen or retitle a window; U+009B is an 8-bit
 * CSI in some terminals). Text a client or a model sends is refused or escaped by this.
 */
export function isControlCharacter(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
}

const NONE: ReadonlySet<string> = new Set();

/** The first control character of `text` (for `allowed` ones, none), with its position from 1. */
export function firstControlCharacter(
  text: string,
  allowed: ReadonlySet<string> = NONE,
): { code: number; position: number } | undefined {
  let position = 0;
  for (const char of text) {
    position++;
    const code = char.codePointAt(0) ?? 0;
    if (isControlCharacter(code) && !allowed.has(char)) return { code, position };
  }
  return undefined;
}
