export { slugify, stripAccents } from './slug.js';
export { uniqueSlugger } from './unique.js';
