// Summary statistics of a column.

/** count, min, max, mean and median of numbers; undefined for an empty list. */
export function summarize(numbers) {
  if (numbers.length === 0) return undefined;
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median =
    sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return {
    count: sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    mean: sorted.reduce((sum, n) => sum + n, 0) / sorted.length,
    median,
  };
}

/** Numeric stats when every non-empty value is a number, else the distinct-value count. */
export function describeColumn(values) {
  const present = values.filter((value) => value.trim() !== '');
  const numbers = present.map(Number);
  if (present.length > 0 && numbers.every(Number.isFinite)) {
    return { type: 'number', ...summarize(numbers) };
  }
  return { type: 'text', count: present.length, distinct: new Set(present).size };
}
