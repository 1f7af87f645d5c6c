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

const call = async (method, path, body) => {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
};

test('creates, lists, updates and deletes todos', async () => {
  assert.deepEqual(await call('POST', '/todos', { title: 'ship it' }), {
    status: 201,
    body: { id: 1, title: 'ship it', done: false },
  });
  assert.equal((await call('PATCH', '/todos/1', { done: true })).body.done, true);
  assert.deepEqual((await call('GET', '/todos')).body, [{ id: 1, title: 'ship it', done: true }]);
  assert.equal((await call('DELETE', '/todos/1')).status, 204);
  assert.deepEqual((await call('GET', '/todos')).body, []);
});

test('answers bad input with 400 and unknown ids with 404, with a sentence', async () => {
  assert.deepEqual(await call('POST', '/todos', '{oops'), {
    status: 400,
    body: { error: 'the body must be a JSON object' },
  });
  assert.deepEqual(await call('POST', '/todos', { title: ' ' }), {
    status: 400,
    body: { error: 'title must not be empty' },
  });
  assert.equal((await call('PATCH', '/todos/77', { done: true })).status, 404);
  assert.equal((await call('DELETE', '/todos/abc')).status, 404);
});
