// The HTTP API and the page, on node:http. `npm start` listens on PORT (default 3000).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { TodoError, TodoStore } from './todo-store.js';

const PUBLIC = new URL('../public/', import.meta.url);
const STATIC = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
};

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function send(res, status, body) {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readJson(req) {
  let text = '';
  for await (const chunk of req) {
    text += chunk;
    if (text.length > 10_000) throw new HttpError(413, 'the body is too large');
  }
  try {
    const body = JSON.parse(text);
    if (typeof body !== 'object' || body === null) throw new Error();
    return body;
  } catch {
    throw new HttpError(400, 'the body must be a JSON object');
  }
}

function todoId(path) {
  const id = Number(path.slice('/todos/'.length));
  if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(404, `no todo at ${path}`);
  return id;
}

async function route(store, req, res) {
  const path = new URL(req.url, 'http://localhost').pathname;
  const file = STATIC[path];
  if (req.method === 'GET' && file) {
    res.writeHead(200, { 'content-type': file[1] });
    res.end(await readFile(new URL(file[0], PUBLIC)));
    return;
  }
  if (path === '/todos' && req.method === 'GET') return send(res, 200, store.list());
  if (path === '/todos' && req.method === 'POST') {
    const { title } = await readJson(req);
    return send(res, 201, store.add(title));
  }
  if (path.startsWith('/todos/')) {
    const id = todoId(path);
    if (req.method === 'PATCH') {
      const todo = store.update(id, await readJson(req));
      if (!todo) throw new HttpError(404, `no todo with id ${id}`);
      return send(res, 200, todo);
    }
    if (req.method === 'DELETE') {
      if (!store.remove(id)) throw new HttpError(404, `no todo with id ${id}`);
      return send(res, 204);
    }
  }
  throw new HttpError(404, `no route for ${req.method} ${path}`);
}

/** The server, not yet listening; each server has its own store. */
export function createTodoServer(store = new TodoStore()) {
  return createServer((req, res) => {
    route(store, req, res).catch((error) => {
      if (error instanceof TodoError) return send(res, 400, { error: error.message });
      if (error instanceof HttpError) return send(res, error.status, { error: error.message });
      send(res, 500, { error: 'internal error' });
    });
  });
}

if (process.argv[1] && new URL(`file://${process.argv[1]}`).href === import.meta.url) {
  const port = Number(process.env.PORT ?? 3000);
  createTodoServer().listen(port, () => console.log(`todo-api on http://localhost:${port}`));
}
