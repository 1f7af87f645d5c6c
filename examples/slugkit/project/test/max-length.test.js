import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slugify } from '../src/index.js';

test('maxLength cuts at the last whole word that fits', () => {
  assert.equal(slugify('The Quick Brown Fox', { maxLength: 15 }), 'the-quick-brown');
  assert.equal(slugify('The Quick Brown Fox', { maxLength: 14 }), 'the-quick');
});

test('a slug that fits is kept whole, a single long word is cut', () => {
  assert.equal(slugify('Short', { maxLength: 20 }), 'short');
  assert.equal(slugify('Supercalifragilistic', { maxLength: 5 }), 'super');
});

test('maxLength must be a positive whole number', () => {
  assert.throws(() => slugify('a b', { maxLength: 0 }), RangeError);
  assert.throws(() => slugify('a b', { maxLength: 2.5 }), RangeError);
});
