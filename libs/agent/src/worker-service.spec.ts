import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Brain,
  type FakeAnthropic,
  FIXED_MODULE,
  lastToolResults,
  passingTest,
  selfCorrectingModuleBrain,
  text,
  toolUse,
} from '@codeframe/fake-anthropic';
import { type TaskEvent, TaskKind, TaskOutcome, WorkerService } from '@codeframe/proto';
import { createRpcClient, type RpcServer } from '@codeframe/rpc';
import { grpcJsClient, seedBareRepo } from '@codeframe/testkit';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Json,
  PASSING_TESTS,
  startTestWorker,
  type TestWorker,
  type WireEvent,
} from './test-worker.fixture.js';

const selfCorrecting = selfCorrectingModuleBrain;

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
}

async function bareRepo(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  return seedBareRepo(dir);
}

describe('WorkerService.ExecuteTask', () => {
  let dir: string;
  let worker: TestWorker;
  let fake: FakeAnthropic;
  let server: RpcServer;
  let brain: Brain = selfCorrecting;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-'));
    worker = await startTestWorker(dir, { brain: (req, ctx) => brain(req, ctx) });
    fake = worker.fake;
    server = worker.server;
  });
  afterAll(async () => {
    await worker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const execute = (request: Json) => worker.execute(request);

  it('builds a module, corrects itself after a failing test, and pushes task/<id>', async () => {
    brain = selfCorrecting;
    const bare = await bareRepo(join(dir, 'a'));
    const before = fake.requests.length;
    const { events, error } = await execute({
      projectId: 'p1',
      task: { id: 't1', title: 'Add add()', kind: 'TASK_KIND_BACKEND' },
      repoUrl: `file://${bare}`,
      baseRef: 'main',
    });
    expect(error).toBeUndefined();
    const result = events.at(-1)?.result as Json;
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_COMPLETED',
      branch: 'task/t1',
      correctionAttempts: 1,
    });
    const tests = events.filter((e) => e.testResult).map((e) => e.testResult?.summary);
    expect(tests.map((t) => [t?.passed, t?.failed])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(events.filter((e) => e.correctionAttempt)).toHaveLength(1);
    // The failing output reached the model in the next request.
    const afterFailure = fake.requests.slice(before)[1]?.body;
    expect(JSON.stringify(afterFailure?.messages.at(-1))).toMatch(/tests failed[\s\S]*fail/i);
    expect(git(['--git-dir', bare, 'show', 'task/t1:math.js'])).toBe(FIXED_MODULE.trim());
    expect(git(['--git-dir', bare, 'log', '-1', '--format=%s', 'task/t1'])).toBe('feat: Add add()');
    expect(result.commitSha).toBe(git(['--git-dir', bare, 'rev-parse', 'task/t1']));
  });

  it('streams the same task grouped over ExecuteTaskBatches, the result last', async () => {
    brain = selfCorrecting;
    const bare = await bareRepo(join(dir, 'batches'));
    const client = createRpcClient(WorkerService, { baseUrl: server.url });
    const sizes: number[] = [];
    const events: TaskEvent[] = [];
    for await (const batch of client.executeTaskBatches({
      projectId: 'p1',
      task: { id: 't-batches', title: 'Add add()', kind: TaskKind.BACKEND },
      repoUrl: `file://${bare}`,
      baseRef: 'main',
    })) {
      sizes.push(batch.events.length);
      events.push(...batch.events);
    }
    expect(Math.min(...sizes)).toBeGreaterThan(0);
    expect(events.filter((e) => e.payload.case === 'result')).toHaveLength(1);
    expect(events.at(-1)?.payload).toMatchObject({
      case: 'result',
      value: { outcome: TaskOutcome.COMPLETED, branch: 'task/t-batches' },
    });
    expect(events.filter((e) => e.payload.case === 'testResult')).toHaveLength(2);
    // A bad request is refused the same way.
    const refused = await (async () => {
      for await (const _ of client.executeTaskBatches({ repoUrl: 'file:///x', baseRef: 'main' }));
    })().catch((err: unknown) => err);
    expect(ConnectError.from(refused).code).toBe(Code.InvalidArgument);
  });

  it('refuses bad requests with a sentence naming the field', async () => {
    const noTask = await execute({ repoUrl: 'file:///x', baseRef: 'main' });
    expect(noTask.error).toMatchObject({ code: 3, details: 'task: value is required [required]' });
    const bare = await bareRepo(join(dir, 'b'));
    const badRef = await execute({
      task: { id: 't2', title: 'x' },
      repoUrl: `file://${bare}`,
      baseRef: 'nope',
    });
    expect(badRef.error).toMatchObject({ code: 9 });
    expect(String(badRef.error?.details)).toMatch(/nope/);
    const badRepo = await execute({
      task: { id: 't3', title: 'x' },
      repoUrl: `file://${dir}/missing.git`,
      baseRef: 'main',
    });
    expect(badRepo.error).toMatchObject({ code: 9 });
    expect(String(badRepo.error?.details)).toMatch(/missing\.git/);
  });

  it('answers path escapes with an error result and changes nothing outside the worktree', async () => {
    // Not under /tmp (or /var/tmp): the sandbox gives commands a private one.
    const outside = `/usr/local/codeframe-escape-${process.pid}.txt`;
    brain = (request) => {
      if (request.messages.length === 1) {
        return {
          content: [
            toolUse('write_file', { path: '../outside.txt', content: 'x' }),
            toolUse('write_file', { path: '/etc/codeframe-x', content: 'x' }),
            toolUse('run_command', { command: `echo x > ${outside}` }),
          ],
        };
      }
      const errors = lastToolResults(request).map((r) => r.isError);
      return {
        content: [
          text(`errors: ${errors.join(',')}`),
          toolUse('write_file', { path: 'package.json', content: PASSING_TESTS }),
          toolUse('finish', { summary: 'ok' }),
        ],
      };
    };
    const bare = await bareRepo(join(dir, 'c'));
    const { events } = await execute({
      task: { id: 't4', title: 'escape' },
      repoUrl: `file://${bare}`,
      baseRef: 'main',
    });
    expect(events.at(-1)?.result).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    const activity = events.map((e) => (e.activityUpdate as Json | undefined)?.message).join('\n');
    expect(activity).toMatch(/errors: true,true,true/);
    expect(activity).toMatch(/write_file: path "..\/outside.txt" is outside the worktree/);
    await expect(readFile(outside)).rejects.toThrow();
    await expect(readFile('/etc/codeframe-x')).rejects.toThrow();
  });

  it('completes through 429, 529, 500 and a cut stream, showing the retries as events', async () => {
    brain = selfCorrecting;
    fake.addFaults(
      { kind: 'rate_limit', retryAfterSeconds: 0 },
      { kind: 'overloaded' },
      { kind: 'server_error' },
      { kind: 'cut_stream', afterEvents: 2 },
    );
    const bare = await bareRepo(join(dir, 'd'));
    const { events } = await execute({
      task: { id: 't5', title: 'Add add()' },
      repoUrl: `file://${bare}`,
      baseRef: 'main',
    });
    expect(events.at(-1)?.result).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    const retries = events
      .map((e) => String((e.activityUpdate as Json | undefined)?.message ?? ''))
      .filter((m) => m.startsWith('model call failed'));
    expect(retries).toHaveLength(4);
  });

  it('ends the stream within 2 s when cancelled mid-request and mid-command, leaving no process', async () => {
    const bare = await bareRepo(join(dir, 'e'));
    for (const where of ['model', 'command']) {
      brain = async (request, ctx) => {
        if (where === 'model') {
          await new Promise((resolve) => {
            const t = setTimeout(resolve, 20_000);
            ctx.signal.addEventListener('abort', () => {
              clearTimeout(t);
              resolve(undefined);
            });
          });
          return { content: [text('too late')] };
        }
        return request.messages.length === 1
          ? { content: [toolUse('run_command', { command: 'sleep 31.5 & sleep 31.5; wait' })] }
          : { content: [toolUse('finish', { summary: 'x' })] };
      };
      const client = grpcJsClient(
        'codeframe/v1/worker.proto',
        'codeframe.v1.WorkerService',
        `127.0.0.1:${server.port}`,
      );
      const call = (
        client.ExecuteTask as (req: object) => AsyncIterable<WireEvent> & { cancel(): void }
      )({
        task: { id: `cancel-${where}`, title: 'x' },
        repoUrl: `file://${bare}`,
        baseRef: 'main',
      });
      let cancelledAt = 0;
      const ended = (async () => {
        try {
          for await (const event of call) {
            const started =
              where === 'model'
                ? (event.agentStatusChanged as Json | undefined)?.state === 'AGENT_STATE_THINKING'
                : (event.activityUpdate as Json | undefined)?.tool === 'run_command';
            if (started && !cancelledAt)
              setTimeout(() => {
                cancelledAt = Date.now();
                call.cancel();
              }, 300);
          }
        } catch {
          // CANCELLED
        }
        return Date.now();
      })();
      const endedAt = await ended;
      client.close();
      expect(cancelledAt).toBeGreaterThan(0);
      expect(endedAt - cancelledAt).toBeLessThan(2_000);
      // The kernel reaps a killed group within moments; allow it up to 1.5 s.
      const sleepers = () =>
        execFileSync('ps', ['-eo', 'stat=,args='])
          .toString()
          .split('\n')
          .filter((l) => l.includes('sleep 31.5') && !l.startsWith('Z'));
      let left = sleepers();
      for (let i = 0; i < 30 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        left = sleepers();
      }
      expect(left).toEqual([]);
    }
  });

  it('stops at the task budget with BUDGET_EXHAUSTED, and at the deadline with FAILED', async () => {
    const bare = await bareRepo(join(dir, 'g'));
    brain = () => ({ content: [toolUse('list_files', {})] });
    const budget = await execute({
      task: { id: 'budget', title: 'x' },
      repoUrl: `file://${bare}`,
      baseRef: 'main',
      limits: { maxCostUsd: 0.000001 },
    });
    expect(budget.events.at(-1)?.result).toMatchObject({
      outcome: 'TASK_OUTCOME_BUDGET_EXHAUSTED',
      error: expect.stringMatching(/budget of \$0\.00 is spent/),
    });
    brain = async (_request, ctx) => {
      await new Promise((resolve) => {
        const t = setTimeout(resolve, 10_000);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve(undefined);
        });
      });
      return { content: [text('late')] };
    };
    const late = await execute({
      task: { id: 'late', title: 'x' },
      repoUrl: `file://${bare}`,
      baseRef: 'main',
      limits: { deadlineMs: 500 },
    });
    expect(late.events.at(-1)?.result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'the task ran past its deadline of 0.5 s',
    });
  });

  it('runs 50 tasks at once in one worker', async () => {
    brain = async (request) => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (request.messages.length === 1)
        return {
          content: [
            toolUse('write_file', { path: 'done.txt', content: 'ok' }),
            passingTest('done'),
            toolUse('finish', { summary: 'ok' }),
          ],
        };
      return { content: [toolUse('finish', { summary: 'ok' })] };
    };
    const bare = await bareRepo(join(dir, 'f'));
    const runs = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        execute({
          task: { id: `many-${i}`, title: `task ${i}` },
          repoUrl: `file://${bare}`,
          baseRef: 'main',
        }),
      ),
    );
    const outcomes = runs.map(
      (r) => (r.events.at(-1)?.result as Json | undefined)?.outcome ?? r.error?.details,
    );
    expect(outcomes).toEqual(Array.from({ length: 50 }, () => 'TASK_OUTCOME_COMPLETED'));
    expect(git(['--git-dir', bare, 'branch', '--list', 'task/many-*']).split('\n')).toHaveLength(
      50,
    );
  }, 120_000);
});
