// Slugs of titles for URLs: lower case ASCII letters and digits, words joined by "-".

/** The title without its accents: "é" becomes "e". */
export function stripAccents(text) {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/**
 * The URL slug of a title: `slugify('Crème Brûlée!')` is "creme-brulee". With `maxLength`,
 * the slug is cut at the last whole word that fits (a single word longer than it is cut).
 */
export function slugify(text, { maxLength } = {}) {
  if (typeof text !== 'string') throw new TypeError('slugify needs a string');
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength > 0)) {
    throw new RangeError('maxLength must be a positive whole number');
  }
  const slug = stripAccents(text)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (maxLength === undefined || slug.length <= maxLength) return slug;
  const cut = slug.slice(0, maxLength + 1);
  const lastDash = cut.lastIndexOf('-');
  return lastDash > 0 ? cut.slice(0, lastDash) : slug.slice(0, maxLength);
}
