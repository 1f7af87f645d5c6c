import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueSlugger } from '../src/index.js';

test('the same title twice gets a numbered second slug', () => {
  const slug = uniqueSlugger();
  assert.equal(slug('Hello'), 'hello');
  assert.equal(slug('Hello!'), 'hello-2');
  assert.equal(slug('hello'), 'hello-3');
});

test('slugs taken up front are never handed out; empty titles are "untitled"', () => {
  const slug = uniqueSlugger(['news', 'news-2']);
  assert.equal(slug('News'), 'news-3');
  assert.equal(slug('???'), 'untitled');
  assert.equal(slug('...'), 'untitled-2');
});

test('options reach slugify', () => {
  const slug = uniqueSlugger([], { maxLength: 9 });
  assert.equal(slug('The Quick Brown Fox'), 'the-quick');
});
