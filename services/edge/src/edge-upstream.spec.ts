// The edge's one WatchEvents stream per project (ProjectFeed over followEvents): resumed
// from the ring's head when the lead drops it, and ended, with the sockets told, when the
// lead refuses it for good.
import type { ServiceProcess } from '@codeframe/testkit';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameClient, startEdge } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';

let lead: FakeLead;
let edge: ServiceProcess;

beforeAll(async () => {
  lead = await startFakeLead();
  edge = await startEdge(lead.url, { CODEFRAME_EDGE_UPSTREAM_GRACE_MS: '0' });
}, 30_000);
afterAll(async () => {
  await edge?.stop();
  await lead?.close();
});

const wsUrl = () => `ws://127.0.0.1:${edge.ports.http}/ws`;
const counter = async (name: string) => {
  const text = await fetch(`http://127.0.0.1:${edge.ports.http}/metrics`).then((r) => r.text());
  return Number(new RegExp(`^codeframe_edge_${name} (\\d+)$`, 'm').exec(text)?.[1]);
};

async function subscribed(projectId: string): Promise<FrameClient> {
  const client = await FrameClient.connect(wsUrl());
  client.send({ type: 'subscribe', project_id: projectId, last_seq: 0 });
  await client.waitFor((f) => f.type === 'subscribed' && f.project_id === projectId);
  return client;
}

describe('the upstream from the lead', () => {
  it('resumes a stream the lead drops, with no gap or duplicate', async () => {
    lead.createProject('drops');
    const client = await subscribed('drops');
    const reconnects = await counter('upstream_reconnects_total');
    for (let i = 0; i < 3; i++) lead.emit('drops');
    await client.waitFor((f) => f.seq === 3);
    lead.drop('drops');
    for (let i = 0; i < 3; i++) lead.emit('drops');
    await client.waitFor((f) => f.seq === 6);
    lead.drop('drops', new ConnectError('fell behind', Code.ResourceExhausted));
    lead.emit('drops');
    await client.waitFor((f) => f.seq === 7);
    expect(client.events.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await counter('upstream_reconnects_total')).toBe(reconnects + 2);
    expect(lead.openStreams.get('drops')).toBe(1);
    client.close();
  });

  it('ends the subscriptions of a stream the lead refuses, and opens it again on a subscribe', async () => {
    lead.createProject('refused');
    const client = await subscribed('refused');
    lead.emit('refused');
    await client.waitFor((f) => f.seq === 1);
    lead.refuseWatch('refused', new ConnectError('the token was revoked', Code.PermissionDenied));
    lead.drop('refused');
    const error = await client.waitFor((f) => f.type === 'error');
    expect(error).toEqual({
      type: 'error',
      project_id: 'refused',
      error:
        'the edge stopped following project refused: the lead answered PermissionDenied (the token was revoked)',
    });
    await client.waitFor((f) => f.type === 'unsubscribed' && f.project_id === 'refused');
    expect(lead.openStreams.get('refused')).toBe(0);

    const lookups = lead.calls.get('getProject') ?? 0;
    const unsubscribes = () => client.frames.filter((f) => f.type === 'unsubscribed').length;
    client.send({ type: 'subscribe', project_id: 'refused', last_seq: 1 });
    await client.waitFor(() => unsubscribes() === 2);
    expect(lead.calls.get('getProject')).toBe(lookups + 1);
    expect(client.frames.map((f) => f.type)).toEqual([
      'subscribed',
      'activity_update',
      'error',
      'unsubscribed',
      'subscribed',
      'error',
      'unsubscribed',
    ]);
    client.close();
  });
});
