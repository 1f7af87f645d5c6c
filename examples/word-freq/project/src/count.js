// Words are runs of letters, digits and apostrophes, in any script.
const WORD = /[\p{L}\p{N}']+/gu;

/** A Map of each word of `text` to how often it occurs. */
export function count(text, { ignoreCase = false, minLength = 1 } = {}) {
  const counts = new Map();
  for (const [match] of text.matchAll(WORD)) {
    const word = ignoreCase ? match.toLowerCase() : match;
    if ([...word].length < minLength) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

/** The `n` most frequent words as [word, count] pairs; ties in alphabetical order. */
export function top(counts, n = 10) {
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, n);
}

/** Adds the counts of `more` into `into`. */
export function merge(into, more) {
  for (const [word, n] of more) into.set(word, (into.get(word) ?? 0) + n);
  return into;
}
