// One trace per task: a task that fails, is retried and completes is one tree across the lead
// and the worker, both dispatches under the task's root span, its merge into main with them.
import { type Brain, firstUserText, planTask, toolUse } from '@codeframe/fake-anthropic';
import { ProjectStatus } from '@codeframe/proto';
import {
  type OtlpReceiver,
  projectEnded,
  type ReceivedSpan,
  startCluster,
  startOtlpReceiver,
  watchUntil,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FAILING =
  "import { test } from 'node:test';\ntest('x', () => { throw new Error('boom'); });\n";
const PASSING = "import { test } from 'node:test';\ntest('x', () => {});\n";

/** One task; its first attempt leaves a failing test (so it fails), a retry fixes it. */
const brain: Brain = async (request) => {
  if (JSON.stringify(request.tools ?? []).includes('submit_plan'))
    return { content: [toolUse('submit_plan', { tasks: [planTask('flaky')] })] };
  const retried = firstUserText(request).includes('Your previous attempt');
  if (!retried)
    return {
      content: [
        toolUse('write_file', { path: 'flaky.test.js', content: FAILING }),
        toolUse('finish', { summary: 'x' }),
      ],
    };
  return {
    content: [
      toolUse('write_file', { path: 'flaky.test.js', content: PASSING }),
      toolUse('finish', { summary: 'Fixed the flaky test' }),
    ],
  };
};

let receiver: OtlpReceiver;
let cluster: Awaited<ReturnType<typeof startCluster>>;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  cluster = await startCluster(
    brain,
    { backend: 1, frontend: 0, test: 0 },
    { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' } },
  );
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  await receiver?.close();
});

const until = async (ready: () => boolean) => {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 100));
};
const named = (name: string, traceId?: string) =>
  receiver.spans.filter((s) => s.name === name && (!traceId || s.traceId === traceId));

describe('one trace per task', () => {
  it('puts a failed attempt and its retry in one tree, across the lead and the worker', async () => {
    const c = cluster;
    const { project } = await c.client.createProject({ prd: '# Flaky\nOne flaky module.' });
    const projectId = project!.id;
    await c.client.startProject({ projectId });
    const first = await watchUntil(c, projectId, 0n, projectEnded, 90_000);
    const status = (e: (typeof first)[number]) =>
      e.payload.case === 'projectStatus' ? ProjectStatus[e.payload.value.status] : undefined;
    expect(status(first.at(-1)!)).toBe('FAILED');
    const taskId = (await c.client.listTasks({ projectId })).tasks[0]!.id;
    await c.client.retryTask({ taskId });
    const after = await watchUntil(c, projectId, first.at(-1)!.seq, projectEnded, 90_000);
    expect(status(after.at(-1)!)).toBe('COMPLETED');

    // Both worker calls end with their streams; the merge once the task completed.
    const serverCalls = () =>
      named('codeframe.v1.WorkerService/ExecuteTaskBatches').filter((s) => s.kind === 2);
    await until(
      () =>
        serverCalls().length >= 2 &&
        named('task dispatch').length >= 2 &&
        named('merge into main').length >= 1 &&
        named('task').length >= 1,
    );

    const roots = named('task');
    expect(roots).toHaveLength(1);
    const root = roots[0]!;
    expect(root).toMatchObject({ service: 'lead', parentSpanId: '' });
    expect(root.attributes['codeframe.task_id']).toBe(taskId);
    const spans = receiver.spans.filter((s) => s.traceId === root.traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const under = (s: ReceivedSpan, ancestor: ReceivedSpan) => {
      for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId))
        if (p === ancestor) return true;
      return false;
    };

    // Every dispatch of the task, in the one trace, a child of its root.
    const dispatches = named('task dispatch').filter(
      (s) => s.attributes['codeframe.task_id'] === taskId,
    );
    expect(dispatches).toHaveLength(2);
    for (const d of dispatches)
      expect(d).toMatchObject({ traceId: root.traceId, parentSpanId: root.spanId });
    expect(dispatches.map((d) => d.attributes['codeframe.attempt']).sort()).toEqual([1, 2]);
    // The worker's side of each dispatch is in it too.
    const workerCalls = serverCalls().filter((s) => s.traceId === root.traceId);
    expect(workerCalls).toHaveLength(2);
    for (const call of workerCalls) expect(call.service).toBe('worker-backend');
    expect(dispatches.every((d) => workerCalls.some((w) => under(w, d)))).toBe(true);
    // The completed attempt's merge into main is under its dispatch.
    const merge = named('merge into main', root.traceId);
    expect(merge).toHaveLength(1);
    const second = dispatches.find((d) => d.attributes['codeframe.attempt'] === 2)!;
    expect(under(merge[0]!, second)).toBe(true);
    // Nothing in the trace hangs loose.
    for (const s of spans.filter((s) => s !== root)) expect(under(s, root), s.name).toBe(true);

    // The retry is counted by its kind (codeframe_task_retries_total, docs/metrics.md).
    const metrics = await (await fetch(`http://127.0.0.1:${c.lead.port}/metrics`)).text();
    expect(metrics).toMatch(/^codeframe_task_retries_total\{kind="retry_requested"\} 1$/m);
  }, 240_000);
});
