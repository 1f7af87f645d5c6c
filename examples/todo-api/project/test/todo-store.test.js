import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TodoError, TodoStore } from '../src/todo-store.js';

test('adds todos with ids in order, not done, titles trimmed', () => {
  const store = new TodoStore();
  assert.deepEqual(store.add('  buy milk '), { id: 1, title: 'buy milk', done: false });
  assert.deepEqual(store.add('call Ada'), { id: 2, title: 'call Ada', done: false });
  assert.equal(store.list().length, 2);
});

test('refuses empty, over-long and non-string titles', () => {
  const store = new TodoStore();
  assert.throws(() => store.add('   '), TodoError);
  assert.throws(() => store.add('x'.repeat(201)), /at most 200 characters/);
  assert.throws(() => store.add(42), /must be a string/);
});

test('ticks a todo off and back on', () => {
  const store = new TodoStore();
  const { id } = store.add('water plants');
  assert.equal(store.update(id, { done: true }).done, true);
  assert.equal(store.update(id, { done: false }).done, false);
  assert.equal(store.get(id).done, false);
});

test('renames, removes, and reports unknown ids', () => {
  const store = new TodoStore();
  const { id } = store.add('draft');
  assert.equal(store.update(id, { title: 'final' }).title, 'final');
  assert.equal(store.update(99, { done: true }), undefined);
  assert.equal(store.remove(id), true);
  assert.equal(store.remove(id), false);
  assert.deepEqual(store.list(), []);
});
