import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BROKEN_PAGE_CRITERION, brokenPageBrain } from '@codeframe/fake-anthropic';
import { TaskKind } from '@codeframe/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Json,
  outcome,
  repoMaker,
  startTestWorker,
  type TestWorker,
} from './test-worker.fixture.js';

// A frontend task in the real loop: tests pass, the page throws in Chromium, the check's
// findings go back as a correction, the fixed page passes and is committed.

describe('the browser check at finish', () => {
  let dir: string;
  let frontend: TestWorker;
  let backend: TestWorker;
  let repo: ReturnType<typeof repoMaker>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-browser-'));
    frontend = await startTestWorker(join(dir, 'f'), {
      brain: brokenPageBrain,
      kind: TaskKind.FRONTEND,
      browserCheck: true,
    });
    backend = await startTestWorker(join(dir, 'b'), { brain: brokenPageBrain });
    repo = repoMaker(dir);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([frontend?.close(), backend?.close()]);
    await rm(dir, { recursive: true, force: true });
  });

  const task = { id: 'page', title: 'Greeting page', acceptanceCriteria: [BROKEN_PAGE_CRITERION] };

  it('fails a page that throws in the console, and the correction fixes it', async () => {
    const { events } = await frontend.execute({ task, repoUrl: repo(), baseRef: 'main' });
    const checks = events.map((e) => e.browserCheck as Json | undefined).filter(Boolean) as Json[];
    expect(checks.map((c) => [c.passed, c.attempt, c.missing])).toEqual([
      [false, 0, ['#greeting']],
      [true, 1, []],
    ]);
    expect(checks[0]!.consoleErrors).toEqual([
      expect.stringMatching(/^uncaught TypeError: .*innerHTML/),
    ]);
    expect(checks[0]!.url).toBe('http://localhost:3000/');
    for (const check of checks)
      expect(
        Buffer.from(check.screenshotPng as Uint8Array)
          .subarray(0, 8)
          .toString('hex'),
      ).toBe('89504e470d0a1a0a');
    const correction = events.find((e) => e.correctionAttempt)?.correctionAttempt as Json;
    expect(correction.failure).toMatch(/uncaught TypeError.*innerHTML/);
    expect(correction.failure).toMatch(/lacks: #greeting/);
    expect(outcome(events)).toMatchObject({
      outcome: 'TASK_OUTCOME_COMPLETED',
      correctionAttempts: 1,
    });
  }, 180_000);

  it('a role that does not check pages never opens one', async () => {
    const { events } = await backend.execute({ task, repoUrl: repo(), baseRef: 'main' });
    expect(events.some((e) => e.browserCheck)).toBe(false);
    expect(outcome(events)).toMatchObject({
      outcome: 'TASK_OUTCOME_COMPLETED',
      correctionAttempts: 0,
    });
  }, 120_000);
});
