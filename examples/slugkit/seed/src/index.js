export { slugify, stripAccents } from './slug.js';
