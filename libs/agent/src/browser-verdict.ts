import type { TaskEvent } from '@codeframe/proto';
import { env } from '@codeframe/runtime';
import type { AgentTaskInput } from './agent-loop.js';
import { runBrowserCheck } from './browser-check.js';
import { browserTarget, namedSelectors } from './browser-target.js';
import type { GateVerdict } from './quality-gates.js';
import type { TaskEventFactory } from './task-events.js';

// After a frontend task's tests pass, its pages are opened in headless Chromium (see
// browser-check.ts): a page that does not load, logs a console error, throws, or lacks an
// element its acceptance criteria name goes back to the model like a failing test.

/** The worker's browser-check variables. */
export const browserCheckEnvSettings = {
  /** on: a frontend task whose project serves pages is opened in Chromium; off: never. */
  browserCheck: env.oneOf('CODEFRAME_BROWSER_CHECK', ['on', 'off'] as const, 'on'),
  browserCheckTimeoutMs: env.int('CODEFRAME_BROWSER_CHECK_TIMEOUT_MS', 90_000, 5_000),
};

export interface BrowserCheckSettings {
  enabled: boolean;
  timeoutMs: number;
}

/**
 * The page's verdict, checked like a gate once the tests and the quality gates pass: ok when
 * the role or the worker does not check pages, the project serves none, or the page passes;
 * else the failure, with the check's findings as the output the model reads.
 */
export async function* browserVerdict(
  input: AgentTaskInput,
  ev: TaskEventFactory,
  attempt: number,
): AsyncGenerator<TaskEvent, GateVerdict> {
  const passed: GateVerdict = { ok: true };
  const settings = input.browserCheck;
  if (!input.role.browserCheck || !settings?.enabled) return passed;
  const target = await browserTarget(input.workspace.path);
  if (!target) return passed;
  if (input.sandbox.mode !== 'bwrap') {
    yield ev.activity('browser check skipped: it runs only in the bubblewrap sandbox', '', true);
    return passed;
  }
  const task = input.request.task!;
  const selectors = namedSelectors(task.acceptanceCriteria);
  const served =
    target.mode === 'start' ? `\`${target.command}\`` : `${target.dir || '.'}/index.html`;
  yield ev.activity(
    `opening ${served} in Chromium${selectors.length ? `, looking for ${selectors.join(', ')}` : ''}`,
  );
  const check = await runBrowserCheck({
    sandbox: input.sandbox,
    workspace: input.workspace,
    target,
    selectors,
    timeoutMs: settings.timeoutMs,
    maxOutputBytes: input.limits.maxOutputBytes,
    signal: input.signal,
  });
  yield ev.browserCheck({
    url: check.url,
    passed: check.passed,
    consoleErrors: check.consoleErrors,
    missing: check.missing,
    error: check.error,
    attempt,
    screenshotPng: check.screenshot,
  });
  if (check.passed) return passed;
  const findings = [
    check.error && `The page could not be checked: ${check.error}`,
    check.consoleErrors.length > 0 &&
      `Console errors and uncaught exceptions:\n${check.consoleErrors.map((e) => `- ${e}`).join('\n')}`,
    check.missing.length > 0 &&
      `Elements the acceptance criteria name that the page lacks: ${check.missing.join(', ')}`,
    check.error &&
      check.output.trim() &&
      `Output of the server and the check:\n${check.output.trim()}`,
  ].filter(Boolean);
  return {
    ok: false,
    reason: 'the page failed its browser check',
    feedback: `The tests pass, but the page failed its browser check: ${served} was opened at ${check.url} in headless Chromium, and it must load with no console error, no uncaught exception, and every element the acceptance criteria name in backticks. Fix the page, then call finish again.`,
    output: findings.join('\n\n'),
  };
}
