// The edge's browser port has no TLS of its own (uWebSockets.js is built without it):
// deploy/nginx/edge.conf terminates TLS in front of it. This runs that file, rendered for the
// test's ports and throwaway certificates, through a real nginx in front of a real edge:
// https:// and wss:// reach the edge with the browser's Host (the edge's host and origin
// checks pass), and a client that does not trust the CA gets nothing.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCerts, type ServiceProcess, type TestCerts } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameClient, startEdge } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';
import {
  EXAMPLE_CONF,
  httpsGet,
  locationDirectives,
  type NginxProxy,
  nginxSeconds,
  startNginxProxy,
} from './nginx-proxy.test-support.js';
import { getWithHost } from './raw-http.test-support.js';

let dir: string;
let certs: TestCerts;
let lead: FakeLead;
let edge: ServiceProcess;
let nginx: NginxProxy;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'codeframe-tls-proxy-'));
  certs = makeTestCerts(dir);
  lead = await startFakeLead();
  lead.createProject('p-1');
  lead.emit('p-1', 'before the subscription');
  edge = await startEdge(lead.url, { CODEFRAME_ALLOWED_HOSTS: 'edge.example' });
  nginx = await startNginxProxy(dir, {
    edgePort: edge.ports.http!,
    cert: certs.serverCert,
    key: certs.serverKey,
  });
}, 60_000);
afterAll(async () => {
  await nginx?.stop();
  await edge?.stop();
  await lead?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const named = () => `edge.example:${nginx.port}`;
const wsUrl = () => `wss://127.0.0.1:${nginx.port}/ws`;

/** How a wss:// upgrade through the proxy ends: 'open', or the HTTP status it was refused with. */
function upgrade(options: WebSocket.ClientOptions): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(), { ca: readFileSync(certs.ca), ...options });
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('nginx with deploy/nginx/edge.conf in front of the edge', () => {
  it('answers /healthz over https', async () => {
    const health = await httpsGet(nginx.port, '/healthz', certs.ca, `localhost:${nginx.port}`);
    expect(health.status).toBe(200);
  });

  it("forwards the browser's Host: the edge answers the name it knows, and refuses others", async () => {
    const projects = await httpsGet(nginx.port, '/api/projects', certs.ca, named());
    expect(projects.status).toBe(200);
    expect(JSON.parse(projects.body)).toMatchObject({ projects: [{ id: 'p-1' }] });
    const rebound = await httpsGet(nginx.port, '/api/projects', certs.ca, 'rebound.example');
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body).error).toMatch(/does not answer to the host name "rebound/);
  });

  it("keeps /metrics off the proxy (the edge's own port still serves it)", async () => {
    expect((await httpsGet(nginx.port, '/metrics', certs.ca, named())).status).toBe(404);
    const own = await getWithHost(edge.ports.http!, '/metrics', 'localhost');
    expect(own.body).toMatch(/^codeframe_edge_connections /m);
  });

  it('passes the upgrade on /ws and keeps a quiet socket open well past the heartbeat', () => {
    const ws = locationDirectives(readFileSync(EXAMPLE_CONF, 'utf8'), '= /ws');
    expect(ws.get('proxy_set_header')).toEqual(
      expect.arrayContaining(['Upgrade $http_upgrade', 'Connection $codeframe_edge_connection']),
    );
    // nginx closes a proxied socket silent for proxy_read_timeout (60 s unless set); the
    // edge's heartbeat (CODEFRAME_EDGE_HEARTBEAT_MS, 15 s by default) must come well inside.
    for (const timeout of ['proxy_read_timeout', 'proxy_send_timeout']) {
      expect(ws.get(timeout), timeout).toHaveLength(1);
      expect(nginxSeconds(ws.get(timeout)![0]!), timeout).toBeGreaterThanOrEqual(600);
    }
    expect(ws.get('proxy_buffering')).toEqual(['off']);
  });

  it('answers the proxied handshake with a real 101 upgrade: frames flow both ways', async () => {
    const ws = new WebSocket(wsUrl(), {
      ca: readFileSync(certs.ca),
      headers: { host: named() },
      origin: `https://${named()}`,
    });
    const upgraded = new Promise<{ status?: number; upgrade?: string }>((resolve, reject) => {
      ws.once('upgrade', (res) =>
        resolve({ status: res.statusCode, upgrade: res.headers.upgrade }),
      );
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
      ws.once('error', reject);
    });
    const opened = once(ws, 'open');
    expect(await upgraded).toEqual({ status: 101, upgrade: 'websocket' });
    await opened;
    const reply = new Promise<unknown>((resolve) =>
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { type: string };
        if (frame.type !== 'heartbeat') resolve(frame);
      }),
    );
    ws.send(JSON.stringify({ type: 'ping' }));
    expect(await reply).toEqual({ type: 'pong' });
    ws.close();
  });

  it('upgrades /ws over wss: a subscriber gets the log, then live events', async () => {
    const client = await FrameClient.connect(wsUrl(), undefined, {
      ca: readFileSync(certs.ca),
      headers: { host: named() },
      origin: `https://${named()}`,
    });
    client.send({ type: 'subscribe', project_id: 'p-1', last_seq: 0 });
    expect(await client.waitFor((f) => f.type === 'subscribed')).toMatchObject({
      project_id: 'p-1',
    });
    await client.waitFor((f) => f.seq === 1);
    lead.emit('p-1', 'after the subscription');
    await client.waitFor((f) => f.seq === 2);
    expect(client.events.map((f) => [f.type, f.seq, f.message])).toEqual([
      ['activity_update', 1, 'before the subscription'],
      ['activity_update', 2, 'after the subscription'],
    ]);
    // The edge's heartbeat comes through the proxy's long read timeout.
    await client.waitFor((f) => f.type === 'heartbeat');
    client.close();
  });

  it('passes the Origin and the Host with its port: pages of the host the browser named may connect', async () => {
    // Reached by address on a non-default port, a page's origin matches only with the port.
    const address = `10.9.8.7:${nginx.port}`;
    expect(await upgrade({ headers: { host: address }, origin: `https://${address}` })).toBe(
      'open',
    );
    expect(await upgrade({ headers: { host: address }, origin: 'https://10.9.8.7' })).toBe(403);
    expect(await upgrade({ headers: { host: named() }, origin: `https://${named()}` })).toBe(
      'open',
    );
    expect(await upgrade({ headers: { host: named() }, origin: 'https://rebound.example' })).toBe(
      403,
    );
    expect(await upgrade({ headers: { host: 'rebound.example' } })).toBe(421);
  });

  it('is refused by a client that does not trust the CA', async () => {
    await expect(
      httpsGet(nginx.port, '/healthz', certs.otherCa, `localhost:${nginx.port}`),
    ).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    await expect(
      upgrade({ ca: readFileSync(certs.otherCa), headers: { host: named() } }),
    ).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(nginx.stderr()).not.toMatch(/\[(emerg|alert|crit)\]/);
  });
});
