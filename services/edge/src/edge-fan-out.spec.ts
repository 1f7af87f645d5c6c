import type { Event } from '@codeframe/proto';
import { type Cluster, type ServiceProcess, startCluster, watchUntil } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  demoBrain,
  demoPrd,
  type Frame,
  FrameClient,
  Gate,
  isEnd,
  startEdge,
} from './edge-cluster.test-support.js';

let cluster: Cluster;
let edge: ServiceProcess;
const gate = new Gate();

beforeAll(async () => {
  cluster = await startCluster(demoBrain(gate));
  edge = await startEdge(cluster.leadUrl);
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await cluster?.stop();
});

const wsUrl = (e: ServiceProcess) => `ws://127.0.0.1:${e.ports.http}/ws`;

async function createProject(prd: string): Promise<string> {
  const { project } = await cluster.client.createProject({ prd });
  return project!.id;
}

/** The lead's whole log of a finished project. */
async function leadLog(projectId: string): Promise<Event[]> {
  return watchUntil(cluster, projectId, 0n, (e) => {
    const v = e.payload.value as { status?: number } | undefined;
    return e.payload.case === 'projectStatus' && (v?.status === 6 || v?.status === 7);
  });
}

const seqs = (frames: Frame[]) => frames.map((f) => f.seq);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function subscribe(url: string, projectId: string, lastSeq: number) {
  const client = await FrameClient.connect(url);
  client.send({ type: 'subscribe', project_id: projectId, last_seq: lastSeq });
  const subscribed = await client.waitFor((f) => f.type === 'subscribed');
  return { client, subscribed };
}

describe('fan-out', () => {
  it('delivers every event of a run, in seq order, to each of 1,000 subscribers', async () => {
    const projectId = await createProject(demoPrd('thousand'));
    const clients: FrameClient[] = [];
    for (let i = 0; i < 1000; i++) {
      clients.push((await subscribe(wsUrl(edge), projectId, 0)).client);
    }
    await cluster.client.startProject({ projectId });
    await Promise.all(clients.map((c) => c.waitFor(isEnd, 60_000)));
    const log = await leadLog(projectId);
    const expected = log.map((e) => Number(e.seq));
    expect(expected).toEqual(range(1, expected.length));
    for (const client of clients) {
      expect(seqs(client.events)).toEqual(expected);
    }
    const first = clients[0]!.events;
    expect(first.map((f) => f.type)).toContain('plan_ready');
    expect(first.every((f) => f.project_id === projectId && typeof f.timestamp === 'string')).toBe(
      true,
    );
    for (const client of clients) client.close();
  }, 120_000);

  it('gives a resubscriber exactly what it missed from the ring, then live events', async () => {
    const projectId = await createProject(demoPrd('resume-buffer', { steps: 6 }));
    const watcher = (await subscribe(wsUrl(edge), projectId, 0)).client;
    const dropper = (await subscribe(wsUrl(edge), projectId, 0)).client;
    await cluster.client.startProject({ projectId });
    await dropper.waitFor((f) => (f.seq ?? 0) >= 10);
    dropper.close();
    await dropper.closed;
    const lastSeen = Math.max(...seqs(dropper.events).map(Number));
    await watcher.waitFor((f) => (f.seq ?? 0) >= lastSeen + 10);
    const { client: again, subscribed } = await subscribe(wsUrl(edge), projectId, lastSeen);
    expect(subscribed).toMatchObject({ project_id: projectId, recovered: 'buffer' });
    await again.waitFor(isEnd, 60_000);
    await watcher.waitFor(isEnd, 60_000);
    expect([...seqs(dropper.events), ...seqs(again.events)]).toEqual(seqs(watcher.events));
    expect(seqs(watcher.events)).toEqual(range(1, watcher.events.length));
    watcher.close();
    again.close();
  }, 90_000);

  it('replays from the lead what its ring no longer holds, with no gap or duplicate', async () => {
    const small = await startEdge(cluster.leadUrl, { CODEFRAME_EDGE_RING_EVENTS: '5' });
    try {
      const projectId = await createProject(demoPrd('resume-lead', { steps: 6 }));
      const watcher = (await subscribe(wsUrl(small), projectId, 0)).client;
      await cluster.client.startProject({ projectId });
      await watcher.waitFor((f) => (f.seq ?? 0) >= 30);
      const { client: late, subscribed } = await subscribe(wsUrl(small), projectId, 3);
      expect(subscribed.recovered).toBe('lead');
      await late.waitFor(isEnd, 60_000);
      await watcher.waitFor(isEnd, 60_000);
      expect(seqs(late.events)).toEqual(seqs(watcher.events).slice(3));
      watcher.close();
      late.close();
    } finally {
      await small.stop();
    }
  }, 90_000);

  it('resumes through the lead after the edge restarts, in a new epoch', async () => {
    let restarted = await startEdge(cluster.leadUrl);
    try {
      const projectId = await createProject(demoPrd('edge-restart', { steps: 6 }));
      const { client, subscribed: before } = await subscribe(wsUrl(restarted), projectId, 0);
      await cluster.client.startProject({ projectId });
      await client.waitFor((f) => (f.seq ?? 0) >= 10);
      gate.close();
      const stopping = restarted.stop();
      expect(await client.closed).toBe(1001);
      await stopping;
      const lastSeen = Math.max(...seqs(client.events).map(Number));
      gate.open();
      restarted = await startEdge(cluster.leadUrl);
      const { client: again, subscribed } = await subscribe(wsUrl(restarted), projectId, lastSeen);
      expect(subscribed.epoch).not.toBe(before.epoch);
      expect(['lead', 'none']).toContain(subscribed.recovered);
      await again.waitFor(isEnd, 60_000);
      const all = [...seqs(client.events), ...seqs(again.events)];
      expect(all).toEqual(range(1, all.length));
      again.close();
    } finally {
      gate.open();
      await restarted.stop();
    }
  }, 90_000);

  it('closes a client that stops reading; the others still get every event', async () => {
    const tight = await startEdge(cluster.leadUrl, {
      CODEFRAME_EDGE_MAX_BACKPRESSURE_BYTES: '65536',
    });
    try {
      const projectId = await createProject(demoPrd('slow-client', { steps: 8, noisy: true }));
      const reader = (await subscribe(wsUrl(tight), projectId, 0)).client;
      const stalled = (await subscribe(wsUrl(tight), projectId, 0)).client;
      const socket = (stalled.ws as unknown as { _socket: { pause(): void; resume(): void } })
        ._socket;
      socket.pause();
      await cluster.client.startProject({ projectId });
      const metrics = async () =>
        (await fetch(`http://127.0.0.1:${tight.ports.http}/metrics`)).text();
      // Resumed once the edge gave up on it, the client reads what was queued, then the
      // close frame (left paused for the rest of the run, its socket may be shut first).
      await expect
        .poll(metrics, { timeout: 60_000, interval: 100 })
        .toMatch(/^codeframe_edge_slow_client_closes_total 1$/m);
      socket.resume();
      expect(await stalled.closed).toBe(4003);
      await reader.waitFor(isEnd, 60_000);
      expect(seqs(reader.events)).toEqual(range(1, reader.events.length));
      expect(reader.events.filter((f) => f.type === 'command_output').length).toBeGreaterThan(8);
      expect(await metrics()).toMatch(/^codeframe_edge_slow_client_closes_total 1$/m);
      reader.close();
    } finally {
      await tight.stop();
    }
  }, 90_000);
});

describe('the browser protocol', () => {
  it('forwards answer_blocker to the lead, and the resolution reaches every watcher', async () => {
    const projectId = await createProject(demoPrd('blocker', { ask: true }));
    const { client } = await subscribe(wsUrl(edge), projectId, 0);
    await cluster.client.startProject({ projectId });
    const created = await client.waitFor((f) => f.type === 'blocker_created');
    const blocker = created.blocker as { id: string; question: string };
    expect(blocker.question).toBe('Which colour should the page use?');
    client.send({ type: 'answer_blocker', blocker_id: 'no-such-blocker', answer: 'red' });
    const refused = await client.waitFor((f) => f.type === 'error');
    expect(refused).toMatchObject({ blocker_id: 'no-such-blocker' });
    client.send({ type: 'answer_blocker', blocker_id: blocker.id, answer: 'teal' });
    const resolved = await client.waitFor((f) => f.type === 'blocker_resolved');
    expect(resolved.blocker).toMatchObject({ id: blocker.id, answer: 'teal' });
    await client.waitFor(isEnd, 60_000);
    client.close();
  }, 90_000);

  it('refuses an unknown project and a last_seq ahead of the log with error frames', async () => {
    const client = await FrameClient.connect(wsUrl(edge));
    client.send({ type: 'subscribe', project_id: 'nope', last_seq: 0 });
    expect(await client.waitFor((f) => f.type === 'error')).toMatchObject({
      project_id: 'nope',
      error: 'unknown project nope',
    });
    const projectId = await createProject(demoPrd('ahead'));
    client.send({ type: 'subscribe', project_id: projectId, last_seq: 500 });
    const ahead = await client.waitFor(
      (f) => f.type === 'error' && f.project_id === projectId,
      10_000,
    );
    expect(ahead.error).toMatch(/last_seq 500 is ahead of the project's event log/);
    client.send({ type: 'unsubscribe', project_id: projectId });
    expect((await client.waitFor((f) => /not subscribed/.test(String(f.error)))).type).toBe(
      'error',
    );
    client.close();
  }, 30_000);

  it('closes a socket that floods it with garbage, with code 4002', async () => {
    const client = await FrameClient.connect(wsUrl(edge));
    for (let i = 0; i < 30; i++) client.ws.send('garbage');
    expect(await client.closed).toBe(4002);
  });

  it('sends heartbeats, and serves snapshots and metrics', async () => {
    const projectId = await createProject(demoPrd('snapshot'));
    const client = await FrameClient.connect(wsUrl(edge));
    expect(await client.waitFor((f) => f.type === 'heartbeat', 5_000)).toHaveProperty('timestamp');
    client.close();
    const base = `http://127.0.0.1:${edge.ports.http}`;
    const snapshot = (await (
      await fetch(`${base}/api/projects/${projectId}/snapshot`)
    ).json()) as Record<string, unknown>;
    expect(snapshot).toMatchObject({
      project: { id: projectId, status: 'PROJECT_STATUS_CREATED' },
      tasks: [],
      blockers: [],
    });
    expect(typeof snapshot.seq).toBe('number');
    const missing = await fetch(`${base}/api/projects/nope/snapshot`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: expect.stringMatching(/nope/) });
    const listed = (await (await fetch(`${base}/api/projects`)).json()) as {
      projects: { id: string }[];
    };
    expect(listed.projects.map((p) => p.id)).toContain(projectId);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'connections',
      'subscriptions',
      'messages_out_total',
      'upstream_lag_seconds',
    ]) {
      expect(metrics).toContain(`codeframe_edge_${name}`);
    }
  });
});
