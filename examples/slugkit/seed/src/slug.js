// Slugs of titles for URLs: lower case ASCII letters and digits, words joined by "-".

/** The title without its accents: "é" becomes "e". */
export function stripAccents(text) {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
}

/** The URL slug of a title: `slugify('Crème Brûlée!')` is "creme-brulee". */
export function slugify(text) {
  if (typeof text !== 'string') throw new TypeError('slugify needs a string');
  return stripAccents(text)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}
