// The edge exports a CLIENT span for its upstream WatchEvents stream when tracing is on
// (OTEL_EXPORTER_OTLP_ENDPOINT): runService starts tracing, libs/rpc's client traces it.
import { type OtlpReceiver, type ServiceProcess, startOtlpReceiver } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameClient, startEdge } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';

let receiver: OtlpReceiver;
let lead: FakeLead;
let edge: ServiceProcess;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  lead = await startFakeLead();
  edge = await startEdge(lead.url, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
  });
}, 30_000);
afterAll(async () => {
  await edge?.stop();
  await lead?.close();
  await receiver?.close();
});

describe('the edge with tracing on', () => {
  it('exports a span for its upstream WatchEvents stream', async () => {
    lead.createProject('traced');
    const client = await FrameClient.connect(`ws://127.0.0.1:${edge.ports.http}/ws`);
    client.send({ type: 'subscribe', project_id: 'traced', last_seq: 0 });
    await client.waitFor((f) => f.type === 'subscribed');
    lead.emit('traced');
    await client.waitFor((f) => f.seq === 1);
    // A stream's span ends with the stream: the lead drops it, the edge opens it again.
    lead.drop('traced');
    const watch = () =>
      receiver.spans.find(
        (s) => s.name === 'codeframe.v1.LeadService/WatchEvents' && s.service === 'edge',
      );
    while (!watch()) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(watch()).toMatchObject({ kind: 3, parentSpanId: '' });
    expect(watch()!.attributes['rpc.method']).toBe('WatchEvents');
    client.close();
  });
});
