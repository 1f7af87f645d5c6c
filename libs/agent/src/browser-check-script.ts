// The browser check as it runs inside the task's sandbox (`node check.cjs`, the worker's
// own file, bound read-only): it serves the project's pages (a static server of its own,
// or the project's `start` script on $PORT), opens them in headless Chromium through
// playwright-core (bound read-only too), and writes report.json and screenshot.png into
// the one writable folder the worker gave it. The sandbox has no network at all, so the
// page reaches nothing but what listens inside it: the project's own server.
//
// Like the sandbox's supervisor it runs from its own source text (BROWSER_CHECK_SOURCE):
// `browserCheck` is self-contained, Node's own modules and playwright-core through require.

/** What the worker tells the check, as JSON in CODEFRAME_BROWSER_CHECK. */
export interface CheckConfig {
  /** static: serve `root`; start: run `command` with PORT set and wait for it. */
  mode: 'static' | 'start';
  root: string;
  command: string;
  port: number;
  selectors: string[];
  /** The folder the report and the screenshot go to. */
  out: string;
  /** playwright-core's folder inside the sandbox. */
  playwright: string;
  chromium: string;
  /** How long the server may take to answer, and the page to load. */
  startMs: number;
  loadMs: number;
}

/** What the check writes to report.json. */
export interface CheckReport {
  url: string;
  consoleErrors: string[];
  missing: string[];
  /** Why the page could not be checked: the server did not start, the page did not load. */
  error?: string;
  screenshot: boolean;
}

function browserCheck(): void {
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const fs = require('node:fs') as typeof import('node:fs');
  const http = require('node:http') as typeof import('node:http');
  const path = require('node:path') as typeof import('node:path');
  const config = JSON.parse(process.env.CODEFRAME_BROWSER_CHECK ?? '{}') as CheckConfig;
  const url = `http://localhost:${config.port}/`;
  const report: CheckReport = { url, consoleErrors: [], missing: [], screenshot: false };
  /** What a page loads to show itself: a failure of one of these fails the check. */
  const LOADED = ['document', 'script', 'stylesheet', 'image', 'font'];
  const line = (text: string) => text.split('\n')[0]!.slice(0, 500);
  const TYPES: Record<string, string> = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.ico': 'image/x-icon',
    '.woff2': 'font/woff2',
  };

  const serveStatic = () =>
    new Promise<void>((resolve, reject) => {
      const server = http.createServer((req, res) => {
        const pathname = decodeURIComponent(new URL(req.url ?? '/', url).pathname);
        let file = path.join(config.root, path.normalize(pathname));
        if (!file.startsWith(config.root)) file = config.root;
        try {
          if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
          const body = fs.readFileSync(file);
          res.writeHead(200, {
            'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
          });
          res.end(body);
        } catch {
          res.writeHead(404).end('not found');
        }
      });
      server.once('error', reject);
      server.listen(config.port, '127.0.0.1', () => resolve());
    });

  /** Runs the project's start script and waits until it answers HTTP on the port. */
  const startServer = () =>
    new Promise<void>((resolve, reject) => {
      const child = spawn('/bin/sh', ['-c', config.command], {
        env: { ...process.env, PORT: String(config.port), CODEFRAME_BROWSER_CHECK: '' },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      let ended = false;
      child.once('exit', (code, signal) => {
        ended = true;
        reject(
          new Error(
            `\`${config.command}\` exited (${signal ?? `code ${code}`}) before it served ${url}`,
          ),
        );
      });
      const deadline = Date.now() + config.startMs;
      const poll = () => {
        if (ended) return;
        if (Date.now() > deadline) {
          reject(
            new Error(
              `\`${config.command}\` did not answer HTTP on ${url} (PORT=${config.port}) within ${config.startMs / 1000} s`,
            ),
          );
          return;
        }
        const req = http.get(url, (res) => {
          res.resume();
          resolve();
        });
        req.once('error', () => setTimeout(poll, 200));
        req.setTimeout(2_000, () => req.destroy());
      };
      poll();
    });

  const run = async () => {
    await (config.mode === 'static' ? serveStatic() : startServer());
    const { chromium } = require(config.playwright) as typeof import('playwright-core');
    const browser = await chromium.launch({
      executablePath: config.chromium,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--no-proxy-server',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      // Failed loads are counted from the responses (below), not from the console's
      // "Failed to load resource" lines, which name no resource and include the page's own
      // fetch and XHR calls: those the page handles itself, or they throw uncaught.
      page.on('console', (message) => {
        if (message.type() !== 'error' || message.text().startsWith('Failed to load resource'))
          return;
        report.consoleErrors.push(line(message.text()));
      });
      const failed = new Set<string>();
      const failedLoad = (request: import('playwright-core').Request, why: string) => {
        const pathname = new URL(request.url()).pathname;
        // The browser's own favicon request is not the page's.
        if (!LOADED.includes(request.resourceType()) || pathname === '/favicon.ico') return;
        // A 404 is then also a failed request (net::ERR_ABORTED): one line per resource.
        if (failed.has(request.url())) return;
        failed.add(request.url());
        report.consoleErrors.push(
          line(`failed to load ${pathname} (${request.resourceType()}): ${why}`),
        );
      };
      page.on('response', (response) => {
        if (response.status() >= 400) failedLoad(response.request(), `HTTP ${response.status()}`);
      });
      page.on('requestfailed', (request) =>
        failedLoad(request, request.failure()?.errorText ?? 'failed'),
      );
      page.on('pageerror', (err) =>
        report.consoleErrors.push(line(`uncaught ${err.name}: ${err.message}`)),
      );
      try {
        const response = await page.goto(url, { waitUntil: 'load', timeout: config.loadMs });
        if (response && !response.ok()) report.error = `${url} answered HTTP ${response.status()}`;
        // Scripts that run after load (timers, fetches) get a moment to throw.
        await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
      } catch (err) {
        report.error = `the page did not load: ${line((err as Error).message)}`;
      }
      for (const selector of config.selectors) {
        const found = await page.$(selector).catch(() => null);
        if (!found) report.missing.push(selector);
      }
      await page.screenshot({ path: path.join(config.out, 'screenshot.png') });
      report.screenshot = true;
    } finally {
      await browser.close().catch(() => undefined);
    }
  };

  run()
    .catch((err: Error) => {
      report.error = report.error ?? line(err.message);
    })
    .finally(() => {
      fs.writeFileSync(path.join(config.out, 'report.json'), JSON.stringify(report));
      // The project's server dies with the sandbox when this process ends.
      process.exit(0);
    });
}

/** The check as a CommonJS file, bound into the sandbox beside playwright-core. */
export const BROWSER_CHECK_SOURCE = `'use strict';\n(${browserCheck.toString()})();\n`;
