import { slugify } from './slug.js';

/**
 * A slugger that never hands out the same slug twice: the second "Hello" is "hello-2",
 * the third "hello-3". Slugs already taken (e.g. stored ones) can be given up front.
 */
export function uniqueSlugger(taken = [], options = {}) {
  const used = new Set(taken);
  return (text) => {
    const base = slugify(text, options) || 'untitled';
    let slug = base;
    for (let n = 2; used.has(slug); n++) slug = `${base}-${n}`;
    used.add(slug);
    return slug;
  };
}
