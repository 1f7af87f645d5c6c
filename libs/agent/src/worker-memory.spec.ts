// Memory across attempts, on the worker's side: every end pushes the work so far, and a
// retry's first request names the earlier failure and where its work is.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Brain, firstUserText, idle, text, toolUse } from '@codeframe/fake-anthropic';
import { grpcJsClient } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  git,
  type Json,
  outcome,
  repoMaker,
  startTestWorker,
  type TestWorker,
  type WireEvent,
} from './test-worker.fixture.js';

/** Writes `notes.txt` on its first turn, then keeps listing files: it never finishes. */
const writesThenLoops: Brain = (req) =>
  req.messages.length === 1
    ? { content: [toolUse('write_file', { path: 'notes.txt', content: 'half done\n' })] }
    : { content: [toolUse('list_files', {})] };

describe('memory across attempts (worker)', () => {
  let dir: string;
  let worker: TestWorker;
  let repo: (files?: Record<string, string>) => string;
  let brain: Brain = writesThenLoops;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-memory-'));
    worker = await startTestWorker(dir, { brain: (req, ctx) => brain(req, ctx) });
    repo = repoMaker(dir);
  });
  afterAll(async () => {
    await worker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const bareOf = (url: string) => url.replace(/^file:\/\//, '');

  it('pushes the work of a task that used up its turns, and reports the commit', async () => {
    brain = writesThenLoops;
    const url = repo();
    const { events } = await worker.execute({
      task: { id: 'turns', key: 'turns', title: 'x' },
      repoUrl: url,
      baseRef: 'main',
      limits: { maxTurns: 2 },
    });
    const result = outcome(events)!;
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'the model used all 2 turns without finishing',
      filesChanged: ['notes.txt'],
    });
    const bare = bareOf(url);
    expect(result.commitSha).toBe(git(['--git-dir', bare, 'rev-parse', 'task/turns']));
    expect(git(['--git-dir', bare, 'show', 'task/turns:notes.txt'])).toBe('half done');
    expect(git(['--git-dir', bare, 'log', '-1', '--format=%s', 'task/turns'])).toBe(
      'wip(turns): work of attempt 1 (failed)',
    );
  });

  it('pushes the work of a task that spent its budget, and of one past its deadline', async () => {
    const url = repo();
    brain = writesThenLoops;
    const budget = await worker.execute({
      task: { id: 'spent', title: 'x' },
      repoUrl: url,
      baseRef: 'main',
      limits: { maxCostUsd: 0.000001 },
    });
    expect(outcome(budget.events)).toMatchObject({
      outcome: 'TASK_OUTCOME_BUDGET_EXHAUSTED',
      filesChanged: ['notes.txt'],
    });
    brain = async (req, ctx) => {
      if (req.messages.length === 1) return writesThenLoops(req, ctx);
      await idle(20_000, ctx.signal);
      return { content: [text('late')] };
    };
    const late = await worker.execute({
      task: { id: 'late', title: 'x' },
      repoUrl: url,
      baseRef: 'main',
      limits: { deadlineMs: 3_000 },
    });
    expect(outcome(late.events)).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'the task ran past its deadline of 3.0 s',
      filesChanged: ['notes.txt'],
    });
    const bare = bareOf(url);
    for (const branch of ['task/spent', 'task/late'])
      expect(git(['--git-dir', bare, 'show', `${branch}:notes.txt`])).toBe('half done');
  });

  it('pushes the work of a task cancelled by its caller', async () => {
    const url = repo();
    let cancelNow: () => void = () => {};
    const asked = new Promise<void>((resolve) => {
      cancelNow = resolve;
    });
    brain = async (req, ctx) => {
      if (req.messages.length === 1) return writesThenLoops(req, ctx);
      cancelNow();
      await idle(20_000, ctx.signal);
      return { content: [text('late')] };
    };
    const client = grpcJsClient(
      'codeframe/v1/worker.proto',
      'codeframe.v1.WorkerService',
      `127.0.0.1:${worker.server.port}`,
    );
    const call = (
      client.ExecuteTask as (req: object) => AsyncIterable<WireEvent> & { cancel(): void }
    )({ task: { id: 'cancelled', title: 'x' }, repoUrl: url, baseRef: 'main' });
    const drained = (async () => {
      try {
        for await (const _ of call);
      } catch {
        // CANCELLED
      }
    })();
    await asked;
    call.cancel();
    await drained;
    client.close();
    const bare = bareOf(url);
    // The worker pushes after the stream ended for its caller: wait for the branch to land.
    let shown = '';
    while (!shown) {
      shown = (() => {
        try {
          return git(['--git-dir', bare, 'show', 'task/cancelled:notes.txt']);
        } catch {
          return '';
        }
      })();
      if (!shown) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(shown).toBe('half done');
    expect(git(['--git-dir', bare, 'log', '-1', '--format=%s', 'task/cancelled'])).toBe(
      'wip(cancelled): work of attempt 1 (cancelled)',
    );
  });

  it('pushes nothing when a command tampered with git, whatever the end', async () => {
    // Only an unsandboxed command can reach .git (the sandbox mounts it read-only).
    const unsandboxed = await startTestWorker(join(dir, 'none'), {
      brain: (req, ctx) => brain(req, ctx),
      sandbox: { mode: 'none' },
    });
    const url = repo();
    brain = (req) =>
      req.messages.length === 1
        ? {
            content: [
              toolUse('write_file', { path: 'notes.txt', content: 'x' }),
              toolUse('run_command', { command: 'echo "gitdir: /tmp" > .git' }),
            ],
          }
        : { content: [toolUse('list_files', {})] };
    const { events } = await unsandboxed
      .execute({
        task: { id: 'tampered', title: 'x' },
        repoUrl: url,
        baseRef: 'main',
        limits: { maxTurns: 2 },
      })
      .finally(() => unsandboxed.close());
    const result = outcome(events)!;
    expect(result.outcome).toBe('TASK_OUTCOME_FAILED');
    expect(result.error).toMatch(/its work was not pushed: the worktree's \.git was re-pointed/);
    expect(result.commitSha ?? '').toBe('');
    expect(git(['--git-dir', bareOf(url), 'branch', '--list', 'task/tampered'])).toBe('');
  });

  it("starts a retry with the earlier failure in its first request, from the earlier work's branch", async () => {
    const url = repo();
    brain = writesThenLoops;
    await worker.execute({
      task: { id: 'again', key: 'again', title: 'x' },
      repoUrl: url,
      baseRef: 'main',
      limits: { maxTurns: 2 },
    });
    const bare = bareOf(url);
    git(['--git-dir', bare, 'branch', 'attempts/again/1', 'task/again']);
    const seen: string[] = [];
    brain = (req) => {
      seen.push(firstUserText(req));
      return req.messages.length === 1
        ? { content: [toolUse('read_file', { path: 'notes.txt' })] }
        : { content: [toolUse('list_files', {})] };
    };
    const failing = `${'x'.repeat(20_000)}\nnot ok 1 - adds two numbers`;
    const { events } = await worker.execute({
      task: { id: 'again', key: 'again', title: 'x' },
      repoUrl: url,
      baseRef: 'attempts/again/1',
      attempt: 2,
      limits: { maxTurns: 2 },
      previousAttempt: {
        number: 1,
        outcome: 'failed',
        error: 'the tests still fail after 3 correction attempts',
        testOutput: failing,
        branch: 'attempts/again/1',
      },
    } as Json);
    const first = seen[0]!;
    expect(first).toContain('## Your previous attempt (attempt 1) did not complete');
    expect(first).toContain('It ended failed: the tests still fail after 3 correction attempts');
    expect(first).toContain('not ok 1 - adds two numbers');
    expect(first.length).toBeLessThan(12_000);
    expect(first).toContain('This checkout starts from its work (branch attempts/again/1)');
    // The checkout holds the earlier attempt's file.
    const read = events.find((e) => (e.activityUpdate as Json | undefined)?.tool === 'read_file');
    expect(read).toBeDefined();
    expect(JSON.stringify(worker.fake.requests.at(-1)?.body.messages)).toContain('half done');
  });

  it('says where the earlier work is when the retry starts from main', async () => {
    const url = repo();
    const seen: string[] = [];
    brain = (req) => {
      seen.push(firstUserText(req));
      return { content: [toolUse('list_files', {})] };
    };
    await worker.execute({
      task: { id: 'moved', title: 'x' },
      repoUrl: url,
      baseRef: 'main',
      attempt: 3,
      limits: { maxTurns: 1 },
      previousAttempt: {
        number: 2,
        outcome: 'cancelled',
        error: 'the task was cancelled',
        branch: 'attempts/moved/2',
      },
    } as Json);
    const first = seen[0]!;
    expect(first).toContain('It ended cancelled: the task was cancelled');
    expect(first).toContain(
      'This checkout starts from main, which moved on since; the earlier work is on branch attempts/moved/2',
    );
    expect(first).not.toContain('failing test output');
  });
});
