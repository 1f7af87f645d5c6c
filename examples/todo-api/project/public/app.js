// The page's behaviour: everything goes through the JSON API.

const list = document.querySelector('#todos');
const form = document.querySelector('#add-todo');
const error = document.querySelector('#error');

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 204) return undefined;
  const data = await response.json();
  if (!response.ok) throw new Error(data.error);
  return data;
}

function render(todos) {
  list.replaceChildren(
    ...todos.map((todo) => {
      const item = document.createElement('li');
      item.className = todo.done ? 'done' : '';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.checked = todo.done;
      box.addEventListener('change', () =>
        run(() => api('PATCH', `/todos/${todo.id}`, { done: box.checked })),
      );
      const title = document.createElement('span');
      title.textContent = todo.title;
      const remove = document.createElement('button');
      remove.textContent = 'Delete';
      remove.addEventListener('click', () => run(() => api('DELETE', `/todos/${todo.id}`)));
      item.append(box, title, remove);
      return item;
    }),
  );
}

async function run(change) {
  try {
    await change();
    error.textContent = '';
  } catch (e) {
    error.textContent = e.message;
  }
  try {
    render(await api('GET', '/todos'));
  } catch (e) {
    error.textContent = `cannot load the todos: ${e.message}`;
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const title = form.elements.title.value;
  form.reset();
  run(() => api('POST', '/todos', { title }));
});

run(async () => {});
