import {
  describeServiceConformance,
  runToExit,
  type ServiceProcess,
  startServiceProcess,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const entry = 'services/edge/dist/main.js';
const env = { GRPC_PORT: '0' };

describeServiceConformance({ entry, services: [], listeners: ['http', 'rpc'], env });

/** Opens a WebSocket and collects its frames as parsed JSON. */
async function connect(url: string) {
  const ws = new WebSocket(url);
  const frames: Record<string, unknown>[] = [];
  const waiting: (() => void)[] = [];
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()));
    for (const wake of waiting.splice(0)) wake();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const next = async () => {
    while (frames.length === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    return frames.shift()!;
  };
  return { ws, next };
}

describe('the edge over WebSocket', () => {
  let edge: ServiceProcess;
  let wsUrl: string;
  beforeAll(async () => {
    edge = await startServiceProcess({ entry, listeners: 2, env });
    wsUrl = `ws://127.0.0.1:${edge.ports.http}/ws`;
  });
  afterAll(() => edge?.stop());

  it('runs with the node flags its package.json declares, and says so when started without', async () => {
    const flag = '--max-semi-space-size=2';
    expect(edge.logs.filter((line) => line.missing)).toEqual([]);
    const bare = await startServiceProcess({ entry, listeners: 2, env, nodeArgs: [] });
    try {
      const warning = await bare.waitForLog((line) => Array.isArray(line.missing));
      expect(warning.missing).toEqual([flag]);
      expect(warning.msg).toContain(`start it as node ${flag} `);
    } finally {
      await bare.stop();
    }
  });

  it('answers ping with pong', async () => {
    const { ws, next } = await connect(wsUrl);
    ws.send(JSON.stringify({ type: 'ping' }));
    expect(await next()).toEqual({ type: 'pong' });
    ws.close();
  });

  it('answers a malformed frame with an error frame and stays usable', async () => {
    const { ws, next } = await connect(wsUrl);
    ws.send('{not json');
    expect(await next()).toEqual({ type: 'error', error: 'malformed frame: not JSON' });
    ws.send(JSON.stringify({ type: 'launch' }));
    expect((await next()).error).toMatch(/unknown message type "launch"/);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await next()).error).toMatch(/binary frames are not supported/);
    ws.send(JSON.stringify({ type: 'ping' }));
    expect(await next()).toEqual({ type: 'pong' });
    ws.close();
  });

  it('closes a connection that sends a frame over the size limit', async () => {
    const { ws } = await connect(wsUrl);
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(64 * 1024) }));
    expect(await closed).toBe(1006);
  });

  it('serves /healthz, and 404 elsewhere', async () => {
    const health = await fetch(`http://127.0.0.1:${edge.ports.http}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const missing = await fetch(`http://127.0.0.1:${edge.ports.http}/nope`);
    expect(missing.status).toBe(404);
  });

  it('closes open WebSockets with 1001 when it stops', async () => {
    const other = await startServiceProcess({ entry, listeners: 2, env });
    const { ws } = await connect(`ws://127.0.0.1:${other.ports.http}/ws`);
    const closed = new Promise<number>((resolve) => ws.once('close', resolve));
    expect(await other.stop()).toBe(0);
    expect(await closed).toBe(1001);
  });
});

it('refuses to start on the slow JS fallback of uWebSockets.js', async () => {
  const run = await runToExit(entry, { ...env, PORT: '0', UWS_USE_FALLBACK: '1' });
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(/the native uWebSockets.js binary did not load/);
});
