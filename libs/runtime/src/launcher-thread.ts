// The body of the thread that starts child processes (process-launcher.ts), as the source
// a Worker evaluates: plain CommonJS, no imports of ours. Node's spawn() returns only once
// the child has exec'd, and forking a process of a few hundred MB takes milliseconds; here
// that time holds this thread, not the service's event loop. Messages:
//   in:  { type: 'spawn', id, file, args, cwd, env, fd3 } | { type: 'kill', id, signal }
//        | { type: 'release', id } (stop reading pipes something still holds open)
//   out: { type: 'spawned', id, pid, ms } | { type: 'error', id, message }
//        | { type: 'data', id, fd, chunk } | { type: 'exit', id, code, signal } | { type: 'close', id }

export const LAUNCHER_THREAD_SOURCE = `
const { spawn } = require('node:child_process');
const { parentPort } = require('node:worker_threads');
const children = new Map();
const post = (message, transfer) => parentPort.postMessage(message, transfer);
parentPort.on('message', (m) => {
  if (m.type === 'release') {
    const child = children.get(m.id);
    children.delete(m.id);
    if (child) for (const stream of child.stdio) if (stream) stream.destroy();
    return;
  }
  if (m.type === 'kill') {
    const child = children.get(m.id);
    if (!child || !child.pid) return;
    try { process.kill(-child.pid, m.signal); } catch { try { child.kill(m.signal); } catch {} }
    return;
  }
  const started = performance.now();
  let child;
  try {
    child = spawn(m.file, m.args, {
      cwd: m.cwd,
      env: m.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', m.fd3 ? 'pipe' : 'ignore'],
    });
  } catch (err) {
    post({ type: 'error', id: m.id, message: String(err && err.message || err) });
    post({ type: 'close', id: m.id, code: null, signal: null });
    return;
  }
  const ms = performance.now() - started;
  children.set(m.id, child);
  child.once('spawn', () => post({ type: 'spawned', id: m.id, pid: child.pid, ms }));
  child.once('error', (err) => post({ type: 'error', id: m.id, message: err.message }));
  for (const fd of m.fd3 ? [1, 2, 3] : [1, 2]) {
    const stream = child.stdio[fd];
    stream.on('error', () => {});
    stream.on('data', (chunk) => {
      const copy = new Uint8Array(chunk);
      post({ type: 'data', id: m.id, fd, chunk: copy }, [copy.buffer]);
    });
  }
  child.once('exit', (code, signal) => post({ type: 'exit', id: m.id, code, signal }));
  child.once('close', (code, signal) => {
    children.delete(m.id);
    post({ type: 'close', id: m.id, code, signal });
  });
});
`;
