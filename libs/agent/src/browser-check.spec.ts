// The browser check with real Chromium (Debian's /usr/bin/chromium through playwright-core)
// inside the real bubblewrap sandbox: pages that pass, throw, lack a named element, are
// served by the project's own start script, and cannot reach the host.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_PATH, runBrowserCheck } from './browser-check.js';
import { browserTarget, namedSelectors } from './browser-target.js';
import { parseAllowedHost } from './egress-proxy.js';
import { Sandbox } from './sandbox.js';
import { sandboxSettingsIn } from './sandbox-settings.js';

let dir: string;
let sandbox: Sandbox;
let host: Server;
let hostPort: number;
const hostHits: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get install -y chromium)`,
    );
  dir = await realpath(await mkdtemp(join(tmpdir(), 'browser-check-')));
  // A server on the host's loopback that the page must not reach.
  host = createServer((req, res) => {
    hostHits.push(req.url ?? '');
    res.setHeader('access-control-allow-origin', '*');
    res.end('host secret');
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  hostPort = (host.address() as { port: number }).port;
  // The host server is even one the sandbox's commands may reach (as if a registry),
  // through the proxy: the browser check gets no network at all, so not even that.
  sandbox = await Sandbox.create(
    sandboxSettingsIn(join(dir, 'sb'), {
      allowedHosts: [parseAllowedHost(`http://127.0.0.1:${hostPort}`)],
    }),
  );
}, 60_000);

afterAll(async () => {
  await sandbox?.close();
  host?.close();
  await rm(dir, { recursive: true, force: true });
});

async function project(name: string, files: Record<string, string>): Promise<string> {
  const root = join(dir, name);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

async function check(root: string, criteria: string[]) {
  const target = await browserTarget(root);
  if (!target) throw new Error(`${root} serves no pages`);
  return runBrowserCheck({
    sandbox,
    workspace: { path: root },
    target,
    selectors: namedSelectors(criteria),
    timeoutMs: 90_000,
    maxOutputBytes: 64_000,
    signal: new AbortController().signal,
  });
}

describe('namedSelectors', () => {
  it('takes ids, attributes and tags in backticks, not file names or classes', () => {
    expect(
      namedSelectors([
        'The list `#todo-list` shows items; the form `form#add input[name=title]` adds one',
        'a `<canvas>` draws; `[data-testid=total]` sums; `index.html` and `app.js` load; `.item` styles',
        '`npm test` passes; `items[0]` is first',
      ]),
    ).toEqual(['#todo-list', 'form#add input[name=title]', 'canvas', '[data-testid=total]']);
  });
});

describe('browserTarget', () => {
  it('prefers index.html at the root, public/ or dist/, then the start script', async () => {
    expect(await browserTarget(await project('t-none', { 'lib.js': '' }))).toBeUndefined();
    expect(await browserTarget(await project('t-pub', { 'public/index.html': '' }))).toEqual({
      mode: 'static',
      dir: 'public',
    });
    const start = { 'package.json': JSON.stringify({ scripts: { start: 'node server.js' } }) };
    expect(await browserTarget(await project('t-both', { ...start, 'index.html': '' }))).toEqual({
      mode: 'static',
      dir: '',
    });
    expect(await browserTarget(await project('t-start', start))).toEqual({
      mode: 'start',
      command: 'npm start',
    });
  });
});

describe('runBrowserCheck', () => {
  it('passes a good page and takes a real PNG screenshot', async () => {
    const root = await project('good', {
      'index.html':
        '<!doctype html><title>t</title><ul id="todo-list"><li>one</li></ul><script src="app.js"></script>',
      'app.js':
        'document.body.append(Object.assign(document.createElement("p"), { id: "ready" }));',
    });
    const result = await check(root, ['`#todo-list` lists the items', '`#ready` appears']);
    expect(result).toMatchObject({ passed: true, consoleErrors: [], missing: [], error: '' });
    expect(Buffer.from(result.screenshot!.subarray(0, 8)).toString('hex')).toBe('89504e470d0a1a0a');
  }, 120_000);

  it('fails a page that throws and one that lacks a named element', async () => {
    const root = await project('bad', {
      'public/index.html':
        '<!doctype html><main></main><script src="gone.js"></script><script>console.error("render failed"); null.x;</script>',
    });
    const result = await check(root, ['`#todo-list` lists the items']);
    expect(result.passed).toBe(false);
    expect(result.missing).toEqual(['#todo-list']);
    expect(result.consoleErrors.sort()).toEqual([
      'failed to load /gone.js (script): HTTP 404',
      'render failed',
      expect.stringMatching(/^uncaught TypeError: Cannot read properties of null/),
    ]);
    expect(result.screenshot).toBeDefined();
  }, 120_000);

  it("serves the project's own start script on $PORT, and the page cannot reach the host", async () => {
    const root = await project('served', {
      'package.json': JSON.stringify({ scripts: { start: 'node server.js' } }),
      'server.js': `require('node:http').createServer((req, res) => {
  if (req.url === '/api') return res.end('own server');
  res.setHeader('content-type', 'text/html');
  res.end(\`<!doctype html><div id="app"></div><script>
    fetch('/api').then(r => r.text()).then(t => { if (t === 'own server') document.getElementById('app').innerHTML = '<p id="loaded"></p>'; });
    fetch('http://127.0.0.1:${hostPort}/from-page').then(() => document.body.insertAdjacentHTML('beforeend', '<p id="host-reached"></p>'), () => {});
  </script>\`);
}).listen(process.env.PORT);`,
    });
    const result = await check(root, ['`#loaded` shows the own API answered']);
    expect(result.missing).toEqual([]);
    expect(result.url).toBe('http://localhost:3000/');
    // Reaching the host was refused by the sandbox's empty network, not by the server.
    expect(hostHits).toEqual([]);
    // The page handled its failed fetch itself: not an error of the page.
    expect(result.consoleErrors).toEqual([]);
    expect(result.passed).toBe(true);
  }, 120_000);

  it('says so when the start script never serves', async () => {
    const root = await project('crash', {
      'package.json': JSON.stringify({ scripts: { start: 'node -e "process.exit(3)"' } }),
    });
    const result = await check(root, []);
    expect(result.passed).toBe(false);
    expect(result.error).toMatch(
      /`npm start` exited \(code 3\) before it served http:\/\/localhost:3000\//,
    );
  }, 120_000);
});
