// A task settles on its worker's result, the last message of the stream (worker.proto), not
// on the stream's end: a real worker removes its worktree between the two, and the merge
// into main need not wait for that. A worker of the test's own here holds its stream open
// after the result until the lead's commit_created on main is in the log, and sends one
// more event after the result, which the lead leaves out.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import {
  type FakeAnthropic,
  planTask,
  startFakeAnthropic,
  toolUse,
} from '@codeframe/fake-anthropic';
import {
  AgentState,
  type Event,
  LeadService,
  ProjectStatus,
  TaskEventSchema,
  TaskKind,
  TaskOutcome,
  TaskStatus,
  WorkerService,
} from '@codeframe/proto';
import { createRpcClient, type RpcServer, startRpcServer } from '@codeframe/rpc';
import { silentLogger } from '@codeframe/runtime';
import {
  projectEnded,
  pushTask,
  type ServiceProcess,
  startServiceProcess,
  testGit,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const AFTER_RESULT = 'sent after the result';
/** How long the worker holds its stream open waiting for the merge before it gives up. */
const HOLD_MS = 30_000;

describe('a task whose worker keeps its stream open after the result', () => {
  const dir = mkdtempSync(join(tmpdir(), 'orchestration-result-'));
  let fake: FakeAnthropic;
  let worker: RpcServer;
  let lead: ServiceProcess;
  /** Set by the watch below once main has the task's merge. */
  let merged: () => void = () => {};
  const mergedOnMain = new Promise<void>((resolve) => {
    merged = resolve;
  });
  /** What the worker saw: whether main had the merge while its stream was still open. */
  const seen = { mergedWhileOpen: false, streamEnded: false };

  beforeAll(async () => {
    fake = await startFakeAnthropic({
      brain: () => ({ content: [toolUse('submit_plan', { tasks: [planTask('only')] })] }),
    });
    worker = await startRpcServer({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      services: [WorkerService],
      authToken: undefined,
      shutdownGraceMs: 100,
      routes: (router) =>
        router.service(WorkerService, {
          describe: () => ({
            kind: TaskKind.BACKEND,
            capacity: 1,
            toolchain: [],
            allowedHosts: [],
          }),
          async *executeTask(req, ctx) {
            const taskId = req.task!.id;
            const event = (payload: MessageInitShape<typeof TaskEventSchema>['payload']) =>
              create(TaskEventSchema, { taskId, payload });
            yield event({
              case: 'taskStatusChanged',
              value: { taskId, to: TaskStatus.IN_PROGRESS, reason: 'worktree ready' },
            });
            const sha = await pushTask(dir, req.repoUrl, req.branch, { 'only.txt': 'work\n' });
            yield event({ case: 'agentStatusChanged', value: { taskId, state: AgentState.DONE } });
            yield event({
              case: 'result',
              value: {
                outcome: TaskOutcome.COMPLETED,
                commitSha: sha,
                branch: req.branch,
                summary: 'did the work',
                filesChanged: ['only.txt'],
              },
            });
            yield event({ case: 'activityUpdate', value: { taskId, message: AFTER_RESULT } });
            // A real worker removes its worktree here; this one waits for the merge.
            const hold = AbortSignal.any([ctx.signal, AbortSignal.timeout(HOLD_MS)]);
            await Promise.race([
              mergedOnMain.then(() => {
                seen.mergedWhileOpen ||= !seen.streamEnded;
              }),
              new Promise((resolve) => hold.addEventListener('abort', resolve, { once: true })),
            ]);
            seen.streamEnded = true;
          },
        }),
    });
    lead = await startServiceProcess({
      entry: 'services/lead/dist/main.js',
      env: {
        ANTHROPIC_BASE_URL: fake.url,
        CODEFRAME_DATA_DIR: join(dir, 'lead'),
        CODEFRAME_WORKERS_BACKEND: `127.0.0.1:${worker.port}`,
        CODEFRAME_WORKERS_FRONTEND: '',
        CODEFRAME_WORKERS_TEST: '',
        CODEFRAME_WORKER_PROBE_MS: '200',
        CODEFRAME_SHUTDOWN_GRACE_MS: '1000',
        CODEFRAME_REVIEW: 'off',
        CODEFRAME_VERIFY_MAIN: 'off',
      },
    });
  }, 60_000);

  afterAll(async () => {
    await lead?.stop();
    await worker?.close();
    await fake?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('merges into main on the result, before the stream ends, and leaves out what follows', async () => {
    const client = createRpcClient(LeadService, { baseUrl: `http://127.0.0.1:${lead.port}` });
    await lead.waitForLog((l) => l.msg === 'worker in rotation', 15_000);
    const { project } = await client.createProject({ prd: '# One\nOne task.' });
    const projectId = project!.id;
    await client.planProject({ projectId });
    await client.startProject({ projectId });
    const events: Event[] = [];
    const signal = AbortSignal.timeout(2 * HOLD_MS);
    for await (const e of client.watchEvents({ projectId, afterSeq: 0n }, { signal })) {
      events.push(e);
      if (e.payload.case === 'commitCreated' && e.payload.value.branch === 'main') merged();
      if (projectEnded(e)) break;
    }
    // Main had the merge while the worker still held its stream open.
    expect(seen.mergedWhileOpen).toBe(true);
    expect(seen.streamEnded).toBe(true);
    const main = events.find(
      (e) => e.payload.case === 'commitCreated' && e.payload.value.branch === 'main',
    );
    expect(main).toBeDefined();
    const last = events.at(-1)!;
    expect(last.payload.case === 'projectStatus' && last.payload.value.status).toBe(
      ProjectStatus.COMPLETED,
    );
    // One merge commit on main, of the task's branch.
    const repo = join(dir, 'lead', 'repos', `${projectId}.git`);
    const log = await testGit(['--git-dir', repo, 'log', '--format=%s', '--first-parent', 'main']);
    expect(log.split('\n')[0]).toMatch(/^Merge task\/.+: Task only$/);
    // Nothing the worker sent after its result is in the log.
    const activities = events.filter(
      (e) => e.payload.case === 'activityUpdate' && e.payload.value.message === AFTER_RESULT,
    );
    expect(activities).toEqual([]);
    expect(lead.logs.some((l) => l.msg === 'ignored events after the result')).toBe(true);
  }, 120_000);
});
