import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugify, stripAccents } from '../src/index.js';

test('lower case words joined by a dash', () => {
  assert.equal(slugify('Hello World'), 'hello-world');
});

test('accents are removed, punctuation collapses, no dash at either end', () => {
  assert.equal(slugify('  Crème Brûlée: a recipe!  '), 'creme-brulee-a-recipe');
  assert.equal(stripAccents('Ça va'), 'Ca va');
});

test('a title of punctuation only has an empty slug', () => {
  assert.equal(slugify('!!!'), '');
});

test('refuses what is not a string', () => {
  assert.throws(() => slugify(42), TypeError);
});
