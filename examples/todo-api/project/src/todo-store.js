// Todos in memory, with the rules the API enforces.

export class TodoError extends Error {}

const MAX_TITLE = 200;

function cleanTitle(title) {
  if (typeof title !== 'string') throw new TodoError('title must be a string');
  const trimmed = title.trim();
  if (trimmed === '') throw new TodoError('title must not be empty');
  if (trimmed.length > MAX_TITLE) {
    throw new TodoError(`title must be at most ${MAX_TITLE} characters`);
  }
  return trimmed;
}

export class TodoStore {
  #todos = new Map();
  #nextId = 1;

  list() {
    return [...this.#todos.values()].map((todo) => ({ ...todo }));
  }

  get(id) {
    const todo = this.#todos.get(id);
    return todo ? { ...todo } : undefined;
  }

  add(title) {
    const todo = { id: this.#nextId++, title: cleanTitle(title), done: false };
    this.#todos.set(todo.id, todo);
    return { ...todo };
  }

  /** Changes the title and/or done flag; undefined when there is no such todo. */
  update(id, patch) {
    const todo = this.#todos.get(id);
    if (!todo) return undefined;
    if (patch.title !== undefined) todo.title = cleanTitle(patch.title);
    if (patch.done !== undefined) {
      if (typeof patch.done !== 'boolean') throw new TodoError('done must be true or false');
      todo.done = patch.done;
    }
    return { ...todo };
  }

  remove(id) {
    return this.#todos.delete(id);
  }
}
