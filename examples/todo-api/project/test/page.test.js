import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import vm from 'node:vm';

const html = await readFile(new URL('../public/index.html', import.meta.url), 'utf8');
const script = await readFile(new URL('../public/app.js', import.meta.url), 'utf8');

test('the page has the form, the list and the script', () => {
  assert.match(html, /<form id="add-todo">/);
  assert.match(html, /<input name="title"[^>]*required/);
  assert.match(html, /<ul id="todos">/);
  assert.match(html, /<script type="module" src="\/app.js">/);
});

test('the script is valid JavaScript that uses every API route', () => {
  assert.doesNotThrow(() => new vm.Script(script));
  for (const call of [
    "'GET', '/todos'",
    "'POST', '/todos'",
    "'PATCH', `/todos/",
    "'DELETE', `/todos/",
  ]) {
    assert.ok(script.includes(call), `app.js should call ${call}`);
  }
});
