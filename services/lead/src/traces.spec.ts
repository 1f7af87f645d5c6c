import { oneModuleBrain as brain } from '@codeframe/fake-anthropic';
import {
  type Cluster,
  type OtlpReceiver,
  projectEnded,
  type ReceivedSpan,
  startCluster,
  startOtlpReceiver,
  watchUntil,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Whether `span` descends from `ancestor` among `spans`. */
function descends(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let s = byId.get(span.parentSpanId); s; s = byId.get(s.parentSpanId))
    if (s.spanId === ancestor.spanId) return true;
  return false;
}

describe('traces across the lead and a worker', () => {
  let receiver: OtlpReceiver;
  let cluster: Cluster;
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

  it("makes one tree of a task's spans: dispatch, ExecuteTask, model calls, sandbox commands", async () => {
    const { project } = await cluster.client.createProject({ prd: '# Tiny\nA math module.' });
    const projectId = project!.id;
    await cluster.client.startProject({ projectId });
    const events = await watchUntil(cluster, projectId, 0n, projectEnded, 90_000);
    expect(events.at(-1)?.payload.case).toBe('projectStatus');

    // The worker's server span ends with its stream; wait until it was exported.
    const serverSpan = () =>
      receiver.spans.find(
        (s) => s.name === 'codeframe.v1.WorkerService/ExecuteTaskBatches' && s.kind === 2,
      );
    while (
      !serverSpan() ||
      !receiver.spans.some((s) => s.name === 'task dispatch') ||
      !receiver.spans.some((s) => s.name === 'task')
    )
      await new Promise((resolve) => setTimeout(resolve, 100));

    const dispatch = receiver.spans.find((s) => s.name === 'task dispatch')!;
    expect(dispatch.service).toBe('lead');
    expect(dispatch.attributes['codeframe.project_id']).toBe(projectId);
    const spans = receiver.spans.filter((s) => s.traceId === dispatch.traceId);
    // The dispatch is a child of the task's root span (one trace per task: task-trace.spec.ts).
    const root = spans.find((s) => s.name === 'task')!;
    expect(root).toMatchObject({ service: 'lead', parentSpanId: '' });
    expect(dispatch.parentSpanId).toBe(root.spanId);

    const client = spans.find(
      (s) => s.name === 'codeframe.v1.WorkerService/ExecuteTaskBatches' && s.kind === 3,
    )!;
    expect(client).toMatchObject({ service: 'lead', parentSpanId: dispatch.spanId });
    const server = serverSpan()!;
    expect(server.traceId).toBe(dispatch.traceId);
    expect(server.parentSpanId).toBe(client.spanId);
    expect(server.service).toMatch(/^worker-backend$/);

    // The agent's model calls and commands are the ExecuteTask call's; the lead's check of
    // the merged main (VerifyCommit) runs commands of its own, under the same dispatch.
    const underTask = spans.filter((s) => descends(s, server, spans));
    expect(underTask.filter((s) => s.name === 'model call').length).toBeGreaterThanOrEqual(1);
    expect(underTask.filter((s) => s.name === 'sandbox command').length).toBeGreaterThanOrEqual(1);
    // Each model call sent its context to the Messages API: the traceparent names the model
    // call's span or the SDK's own request span under it.
    const sent = cluster.fake.requests.map((r) => r.headers.traceparent ?? '');
    for (const call of underTask.filter((s) => s.name === 'model call')) {
      const ids = [call, ...spans.filter((s) => s.parentSpanId === call.spanId)].map(
        (s) => `00-${s.traceId}-${s.spanId}-01`,
      );
      expect(sent.some((header) => ids.includes(header))).toBe(true);
    }
    for (const s of spans.filter((s) => s !== dispatch && s !== root))
      expect(descends(s, dispatch, spans), `${s.service} ${s.name}`).toBe(true);
    // The planner's model call is the lead's, in a trace of its own.
    const planning = receiver.spans.filter((s) => s.name === 'model call' && s.service === 'lead');
    expect(planning.length).toBeGreaterThanOrEqual(1);
    expect(planning.every((s) => s.traceId !== dispatch.traceId)).toBe(true);
    expect(new Set(receiver.spans.map((s) => s.service))).toEqual(
      new Set(['lead', 'worker-backend']),
    );
  }, 120_000);
});
