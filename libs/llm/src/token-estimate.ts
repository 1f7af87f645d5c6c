// Tokens of text no API usage has counted yet (a request being built, a map to send), by
// its length: deliberately high, so what is kept under a budget by it stays under.

/** Characters per token, rounded down from what the models' tokenizers give on code. */
export const CHARS_PER_TOKEN = 3;

export const estimateTokens = (text: string): number => Math.ceil(text.length / CHARS_PER_TOKEN);
