// Drives the running server the way the page does: load it, then use the API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTodoServer } from '../src/server.js';

let server;
let base;

before(async () => {
  server = createTodoServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.close());

const json = (method, body) => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

test('the page and its script are served', async () => {
  const page = await fetch(`${base}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /text\/html/);
  assert.match(await page.text(), /src="\/app.js"/);
  const script = await fetch(`${base}/app.js`);
  assert.match(script.headers.get('content-type'), /javascript/);
  assert.match(await script.text(), /fetch\(path/);
});

test('a session: add two, tick one off, delete the other', async () => {
  const first = await (await fetch(`${base}/todos`, json('POST', { title: 'write docs' }))).json();
  const second = await (await fetch(`${base}/todos`, json('POST', { title: 'fix bug' }))).json();
  await fetch(`${base}/todos/${first.id}`, json('PATCH', { done: true }));
  assert.equal((await fetch(`${base}/todos/${second.id}`, { method: 'DELETE' })).status, 204);
  const todos = await (await fetch(`${base}/todos`)).json();
  assert.deepEqual(todos, [{ id: first.id, title: 'write docs', done: true }]);
});
