// Finding 2 of issue 12: one socket sending 10,000 subscribes to random project ids made
// the edge open thousands of upstream calls and streams. Each socket now has caps, and the
// upstream stays one WatchEvents per project whoever watches it.
import { CloseCode } from '@codeframe/events';
import type { ServiceProcess } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Frame, FrameClient, startEdge } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';

let lead: FakeLead;
let edge: ServiceProcess;

beforeAll(async () => {
  lead = await startFakeLead();
  for (const id of ['p-1', 'p-2', 'p-3', 'p-4', 'shared']) lead.createProject(id);
  edge = await startEdge(lead.url, {
    CODEFRAME_EDGE_MAX_SUBSCRIPTIONS: '3',
    CODEFRAME_EDGE_MAX_PENDING_SUBSCRIPTIONS: '2',
    CODEFRAME_EDGE_MAX_REFUSED_SUBSCRIPTIONS: '20',
    CODEFRAME_EDGE_UPSTREAM_GRACE_MS: '0',
  });
}, 30_000);
afterAll(async () => {
  await edge?.stop();
  await lead?.close();
});

const wsUrl = () => `ws://127.0.0.1:${edge.ports.http}/ws`;
const http = () => `http://127.0.0.1:${edge.ports.http}`;
const metrics = () => fetch(`${http()}/metrics`).then((r) => r.text());
const gauge = (text: string, name: string) =>
  Number(new RegExp(`^codeframe_edge_${name} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
const errors = (client: FrameClient) => client.frames.filter((f: Frame) => f.type === 'error');

describe('per-socket caps', () => {
  it('closes a socket that subscribes to 10,000 random ids, having asked the lead a few times', async () => {
    const before = lead.calls.get('getProject') ?? 0;
    const abuser = await FrameClient.connect(wsUrl());
    for (let i = 0; i < 10_000; i++) {
      abuser.send({ type: 'subscribe', project_id: `random-${i}-${Math.random()}`, last_seq: 0 });
    }
    expect(await abuser.closed).toBe(CloseCode.LimitExceeded);
    expect(errors(abuser).length).toBeGreaterThan(0);
    expect(errors(abuser).map((f) => f.error)).toContainEqual(
      expect.stringMatching(/^2 subscriptions of this connection are still starting/),
    );
    const asked = (lead.calls.get('getProject') ?? 0) - before;
    // At most the pending cap at a time, each unknown project a refusal, 20 refusals allowed.
    expect(asked).toBeLessThanOrEqual(2 + 20 + 1);
    expect(lead.calls.get('watchEvents') ?? 0).toBe(0);
    const other = await fetch(`${http()}/api/projects`);
    expect(other.status).toBe(200);
    const text = await metrics();
    expect(gauge(text, 'subscriptions')).toBe(0);
    expect(gauge(text, 'upstreams')).toBe(0);
    expect(text).toMatch(/^codeframe_edge_limit_closes_total [1-9]/m);
  }, 60_000);

  it('closes a socket that keeps guessing unknown project ids, one at a time', async () => {
    const client = await FrameClient.connect(wsUrl());
    for (let i = 0; i <= 20; i++) {
      client.send({ type: 'subscribe', project_id: `guess-${i}`, last_seq: 0 });
      await client
        .waitFor((f) => f.type === 'error' && f.project_id === `guess-${i}`)
        .catch(() => undefined);
    }
    expect(await client.closed).toBe(CloseCode.LimitExceeded);
    expect(errors(client).map((f) => f.error)).toContain('unknown project guess-0');
    expect(lead.openStreams.get('guess-0') ?? 0).toBe(0);
  });

  it('refuses a subscription past the cap with a sentence, and takes it once one ends', async () => {
    const hits = () =>
      metrics().then((t) =>
        Number(/^codeframe_edge_cap_hits_total\{cap="subscriptions"\} (\d+)$/m.exec(t)?.[1]),
      );
    const before = await hits();
    const client = await FrameClient.connect(wsUrl());
    for (const id of ['p-1', 'p-2', 'p-3']) {
      client.send({ type: 'subscribe', project_id: id, last_seq: 0 });
      await client.waitFor((f) => f.type === 'subscribed' && f.project_id === id);
    }
    client.send({ type: 'subscribe', project_id: 'p-4', last_seq: 0 });
    expect(await client.waitFor((f) => f.type === 'error')).toMatchObject({
      project_id: 'p-4',
      error: expect.stringMatching(
        /^this connection already has 3 subscriptions, the most allowed \(CODEFRAME_EDGE_MAX_SUBSCRIPTIONS\)/,
      ),
    });
    client.send({ type: 'subscribe', project_id: 'p-1', last_seq: 0 });
    client.send({ type: 'unsubscribe', project_id: 'p-2' });
    client.send({ type: 'subscribe', project_id: 'p-4', last_seq: 0 });
    await client.waitFor((f) => f.type === 'subscribed' && f.project_id === 'p-4');
    expect(errors(client)).toHaveLength(1);
    expect(await hits()).toBe(before + 1);
    client.close();
  });

  it('refuses more subscriptions still starting than the pending cap', async () => {
    const client = await FrameClient.connect(wsUrl());
    // A last_seq ahead of the log waits (for another edge's events to arrive): pending.
    client.send({ type: 'subscribe', project_id: 'p-1', last_seq: 1000 });
    client.send({ type: 'subscribe', project_id: 'p-2', last_seq: 1000 });
    client.send({ type: 'subscribe', project_id: 'p-3', last_seq: 0 });
    expect(await client.waitFor((f) => f.type === 'error')).toMatchObject({
      project_id: 'p-3',
      error: expect.stringMatching(
        /^2 subscriptions of this connection are still starting.*CODEFRAME_EDGE_MAX_PENDING_SUBSCRIPTIONS/,
      ),
    });
    client.close();
  });
});

describe('the edge-wide bound on lookups', () => {
  it('refuses a new project while the most allowed are still being looked up at the lead', async () => {
    lead.stall('stuck-1');
    const bounded = await startEdge(lead.url, {
      CODEFRAME_EDGE_MAX_OPENING_PROJECTS: '1',
      CODEFRAME_EDGE_UPSTREAM_GRACE_MS: '0',
    });
    try {
      const url = `ws://127.0.0.1:${bounded.ports.http}/ws`;
      const [first, second] = await Promise.all([
        FrameClient.connect(url),
        FrameClient.connect(url),
      ]);
      first.send({ type: 'subscribe', project_id: 'stuck-1', last_seq: 0 });
      first.send({ type: 'ping' });
      await first.waitFor((f) => f.type === 'pong');
      second.send({ type: 'subscribe', project_id: 'p-1', last_seq: 0 });
      expect(await second.waitFor((f) => f.type === 'error')).toMatchObject({
        project_id: 'p-1',
        error: expect.stringMatching(
          /^the edge is already looking up 1 projects at the lead.*CODEFRAME_EDGE_MAX_OPENING_PROJECTS/,
        ),
      });
      // Once the stuck lookup is given up, the lookup slot is free again.
      first.close();
      await first.closed;
      let answer: Frame;
      do {
        const seen = second.frames.length;
        second.send({ type: 'subscribe', project_id: 'p-1', last_seq: 0 });
        answer = await second.waitFor(
          (f) =>
            second.frames.indexOf(f) >= seen && (f.type === 'subscribed' || f.type === 'error'),
        );
      } while (answer.type === 'error');
      second.close();
    } finally {
      await bounded.stop();
    }
  });
});

describe('upstream streams', () => {
  it('opens one WatchEvents per project, shared by every socket', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => FrameClient.connect(wsUrl())));
    for (const client of clients) {
      client.send({ type: 'subscribe', project_id: 'shared', last_seq: 0 });
      await client.waitFor((f) => f.type === 'subscribed');
    }
    const seq = lead.emit('shared');
    for (const client of clients) await client.waitFor((f) => f.seq === seq);
    expect(lead.openStreams.get('shared')).toBe(1);
    for (const client of clients) client.close();
  });

  it('keeps no stream for a project the lead does not know', async () => {
    const client = await FrameClient.connect(wsUrl());
    client.send({ type: 'subscribe', project_id: 'unknown-1', last_seq: 0 });
    expect(await client.waitFor((f) => f.type === 'error')).toMatchObject({
      project_id: 'unknown-1',
      error: 'unknown project unknown-1',
    });
    expect(lead.openStreams.get('unknown-1') ?? 0).toBe(0);
    expect(await metrics()).not.toMatch(/project="unknown-1"/);
    client.send({ type: 'ping' });
    await client.waitFor((f) => f.type === 'pong');
    client.close();
  });
});

describe('a burst the browsers take more slowly than the lead sends it', () => {
  it('waits for a socket that pauses reading instead of closing it, and leaves behind one that stopped', async () => {
    lead.createProject('burst');
    // A wait well past the pause below, so a reader slowed by a busy machine is not left behind.
    const tight = await startEdge(lead.url, {
      CODEFRAME_EDGE_MAX_BACKPRESSURE_BYTES: '65536',
      CODEFRAME_EDGE_FEED_WAIT_MS: '3000',
    });
    try {
      const url = `ws://127.0.0.1:${tight.ports.http}/ws`;
      const [pausing, stopped, reader] = await Promise.all(
        [1, 2, 3].map(() => FrameClient.connect(url)),
      );
      for (const client of [pausing!, stopped!, reader!]) {
        client.send({ type: 'subscribe', project_id: 'burst', last_seq: 0 });
        await client.waitFor((f) => f.type === 'subscribed');
      }
      const socketOf = (client: FrameClient) =>
        (client.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
      socketOf(pausing!).pause();
      socketOf(stopped!).pause();
      // About 30 MB, more than the kernel's socket buffers hold, as fast as the lead sends it.
      let last = 0;
      for (let i = 0; i < 3_000; i++) last = lead.emit('burst', `${i} ${'x'.repeat(10_000)}`);
      // A pause shorter than the feed's wait: the feed waits, and the socket is kept.
      await new Promise((resolve) => setTimeout(resolve, 400));
      socketOf(pausing!).resume();
      for (const client of [reader!, pausing!]) {
        await client.waitFor((f) => f.seq === last, 60_000);
        expect(client.events.map((f) => f.seq)).toEqual(
          Array.from({ length: last }, (_, i) => i + 1),
        );
      }
      const tightMetrics = () =>
        fetch(`http://127.0.0.1:${tight.ports.http}/metrics`).then((r) => r.text());
      // The one that stopped reading was left behind after the wait, and closed by the edge at
      // the limit, between two of the feed's publishes: never by uWS at its hard limit (1006).
      await expect
        .poll(async () => gauge(await tightMetrics(), 'connections'), { timeout: 30_000 })
        .toBe(2);
      socketOf(stopped!).resume();
      expect(await stopped!.closed).toBe(CloseCode.TooSlow);
      const text = await tightMetrics();
      expect(gauge(text, 'slow_client_closes_total')).toBe(1);
      expect(gauge(text, 'feed_pauses_total')).toBeGreaterThan(0);
      for (const client of [reader!, pausing!]) client.close();
    } finally {
      await tight.stop();
    }
  }, 90_000);
});
