import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  BROWSER_CHECK_SOURCE,
  type CheckConfig,
  type CheckReport,
} from './browser-check-script.js';
import type { BrowserTarget } from './browser-target.js';
import type { OutputStream, Sandbox, SandboxWorkspace } from './sandbox.js';
import { SANDBOX_RUN } from './sandbox-mounts.js';

// A frontend task's pages in headless Chromium. Both the project's server and Chromium
// (which runs the page's JavaScript, model-written like the server) run inside the task's
// bubblewrap sandbox, never on the host: the worker's own check script and playwright-core
// are bound in read-only, one fresh folder is bound writable for the report and the
// screenshot, and the sandbox gets no network at all (not even the registries' proxy), so
// the page reaches only what listens on the sandbox's own loopback. The worker reads the
// two files back as untrusted input, bounded in size.

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** The largest screenshot kept; a bigger one is dropped, the check still counts. */
export const MAX_SCREENSHOT_BYTES = 2 * 1024 * 1024;
const MAX_REPORT_BYTES = 256 * 1024;
const MAX_LINES = 20;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The port the project's server gets as $PORT (the sandbox's own loopback: never taken). */
export const CHECK_PORT = 3000;
const CHECK_DIR = `${SANDBOX_RUN}/browser`;

export interface BrowserCheckInput {
  sandbox: Sandbox;
  workspace: SandboxWorkspace;
  target: BrowserTarget;
  selectors: string[];
  timeoutMs: number;
  maxOutputBytes: number;
  signal: AbortSignal;
  onOutput?: (stream: OutputStream, chunk: string) => void;
}

export interface BrowserCheckOutcome {
  url: string;
  passed: boolean;
  consoleErrors: string[];
  missing: string[];
  error: string;
  /** The PNG, when Chromium took one within MAX_SCREENSHOT_BYTES. */
  screenshot?: Uint8Array;
  /** The server's and the check's own output, for the model when the page did not load. */
  output: string;
}

const playwrightDir = () =>
  dirname(createRequire(import.meta.url).resolve('playwright-core/package.json'));

/** Opens the target's page in Chromium inside the sandbox and reads back what it found. */
export async function runBrowserCheck(input: BrowserCheckInput): Promise<BrowserCheckOutcome> {
  const { sandbox, workspace, target } = input;
  if (sandbox.mode !== 'bwrap')
    throw new Error('the browser check runs only in the bubblewrap sandbox');
  const host = join(sandbox.settings.stateDir, 'browser', randomUUID());
  const out = join(host, 'out');
  await mkdir(out, { recursive: true });
  try {
    await writeFile(join(host, 'check.cjs'), BROWSER_CHECK_SOURCE);
    const config: CheckConfig = {
      mode: target.mode,
      root: target.mode === 'static' ? join(workspace.path, target.dir) : '',
      command: target.mode === 'start' ? target.command : '',
      port: CHECK_PORT,
      selectors: input.selectors,
      out: `${CHECK_DIR}/out`,
      playwright: `${CHECK_DIR}/playwright-core`,
      chromium: CHROMIUM_PATH,
      startMs: Math.min(30_000, input.timeoutMs / 2),
      loadMs: Math.min(20_000, input.timeoutMs / 2),
    };
    const run = await sandbox.run({
      command: `exec node ${CHECK_DIR}/check.cjs`,
      workspace,
      timeoutMs: input.timeoutMs,
      maxOutputBytes: input.maxOutputBytes,
      signal: input.signal,
      onOutput: input.onOutput,
      env: { CODEFRAME_BROWSER_CHECK: JSON.stringify(config) },
      network: false,
      binds: [
        { source: join(host, 'check.cjs'), target: `${CHECK_DIR}/check.cjs` },
        { source: playwrightDir(), target: `${CHECK_DIR}/playwright-core` },
        { source: out, target: `${CHECK_DIR}/out`, writable: true },
      ],
    });
    const output = `${run.stdout}${run.stderr}`;
    const report = parseReport(await readBounded(join(out, 'report.json'), MAX_REPORT_BYTES));
    const why =
      report?.error ??
      (report
        ? ''
        : `the browser check ended without a report (${run.limit ?? (run.timedOut ? 'it timed out' : `exit ${run.exitCode}`)})`);
    const png = report?.screenshot
      ? await readBounded(join(out, 'screenshot.png'), MAX_SCREENSHOT_BYTES)
      : undefined;
    const consoleErrors = report?.consoleErrors ?? [];
    const missing = report?.missing ?? [];
    return {
      url: report?.url ?? `http://localhost:${CHECK_PORT}/`,
      passed: !why && consoleErrors.length === 0 && missing.length === 0,
      consoleErrors,
      missing,
      error: why,
      screenshot: png?.subarray(0, 8).equals(PNG_SIGNATURE) ? new Uint8Array(png) : undefined,
      output,
    };
  } finally {
    await rm(host, { recursive: true, force: true });
  }
}

/** The report as the sandbox left it: hostile JSON, kept to short lists of short lines. */
function parseReport(raw: Buffer | undefined): CheckReport | undefined {
  if (!raw) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const r = value as Record<string, unknown>;
  const lines = (v: unknown) =>
    Array.isArray(v) ? v.slice(0, MAX_LINES).map((s) => String(s).slice(0, 500)) : [];
  return {
    url: typeof r.url === 'string' ? r.url.slice(0, 200) : '',
    consoleErrors: lines(r.consoleErrors),
    missing: lines(r.missing),
    error: typeof r.error === 'string' && r.error ? r.error.slice(0, 1000) : undefined,
    screenshot: r.screenshot === true,
  };
}

/** A regular file of at most `max` bytes, else undefined (no symlink, FIFO or huge file). */
async function readBounded(path: string, max: number): Promise<Buffer | undefined> {
  const handle = await open(
    path,
    constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  ).catch(() => undefined);
  if (!handle) return undefined;
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.size > max) return undefined;
    const buffer = Buffer.alloc(st.size);
    const { bytesRead } = await handle.read(buffer, 0, st.size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
