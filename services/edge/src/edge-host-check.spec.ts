// Finding 3 of issue 12: with the defaults (no token, no allowed origins) a DNS-rebinding
// page in a developer's browser could drive the edge. The edge answers only its own host
// names (421 otherwise) and, by default, WebSockets only from its own origins.
import { type ServiceProcess, startServiceProcess } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EDGE_ENTRY, FrameClient } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';
import { getWithHost } from './raw-http.test-support.js';

let lead: FakeLead;
let edge: ServiceProcess;
let named: ServiceProcess;
let any: ServiceProcess;

const start = (env: Record<string, string> = {}) =>
  startServiceProcess({
    entry: EDGE_ENTRY,
    listeners: 2,
    env: { GRPC_PORT: '0', CODEFRAME_LEAD_URL: lead.url, ...env },
  });

beforeAll(async () => {
  lead = await startFakeLead();
  lead.createProject('p-1');
  [edge, named, any] = await Promise.all([
    start(),
    start({ CODEFRAME_EDGE_ALLOWED_HOSTS: 'edge.example' }),
    start({ CODEFRAME_EDGE_ALLOWED_HOSTS: '*' }),
  ]);
}, 30_000);
afterAll(async () => {
  await Promise.all([edge?.stop(), named?.stop(), any?.stop()]);
  await lead?.close();
});

const port = (e: ServiceProcess) => e.ports.http!;

/** How an upgrade ends: 'open', or the HTTP status it was refused with. */
function upgrade(e: ServiceProcess, options: WebSocket.ClientOptions): Promise<number | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port(e)}/ws`, options);
    ws.once('open', () => {
      ws.close();
      resolve('open');
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('by default', () => {
  it('answers the loopback names, with any port', async () => {
    for (const host of ['localhost', `localhost:${port(edge)}`, '127.0.0.1:1', '[::1]:7080']) {
      expect((await getWithHost(port(edge), '/api/projects', host)).status).toBe(200);
    }
  });

  it('refuses any other Host with 421 and a sentence, on every route and the upgrade', async () => {
    for (const path of ['/api/projects', '/api/projects/p-1/snapshot', '/', '/metrics', '/nope']) {
      const refused = await getWithHost(port(edge), path, 'rebound.example:7080');
      expect(refused.status).toBe(421);
      expect(JSON.parse(refused.body).error).toMatch(
        /^host "rebound.example:7080" is not one this edge serves.*CODEFRAME_EDGE_ALLOWED_HOSTS/,
      );
    }
    const empty = await getWithHost(port(edge), '/api/projects', '');
    expect(empty.status).toBe(421);
    expect(await upgrade(edge, { headers: { host: 'rebound.example' } })).toBe(421);
    const metrics = await getWithHost(port(edge), '/metrics', 'localhost');
    expect(metrics.body).toMatch(/^codeframe_edge_refused_hosts_total [1-9]/m);
  });

  it('still answers /healthz for probes that name the machine by address', async () => {
    expect((await getWithHost(port(edge), '/healthz', '10.1.2.3:7080')).status).toBe(200);
  });

  it("accepts WebSockets only from the edge's own origins", async () => {
    expect(await upgrade(edge, { origin: 'http://rebound.example' })).toBe(403);
    expect(await upgrade(edge, { origin: 'null' })).toBe(403);
    expect(await upgrade(edge, { origin: `http://127.0.0.1:${port(edge)}` })).toBe('open');
    expect(await upgrade(edge, { origin: 'https://localhost:5173' })).toBe('open');
    expect(await upgrade(edge, { origin: 'http://[::1]:7080' })).toBe('open');
    expect(await upgrade(edge, {})).toBe('open');
    const client = await FrameClient.connect(`ws://127.0.0.1:${port(edge)}/ws`);
    client.send({ type: 'subscribe', project_id: 'p-1', last_seq: 0 });
    expect(await client.waitFor((f) => f.type === 'subscribed')).toMatchObject({ seq: 0 });
    client.close();
  });
});

describe('CODEFRAME_EDGE_ALLOWED_HOSTS', () => {
  it('replaces the defaults with the names it lists', async () => {
    expect((await getWithHost(port(named), '/api/projects', 'edge.example')).status).toBe(200);
    expect((await getWithHost(port(named), '/api/projects', 'EDGE.example:443')).status).toBe(200);
    expect((await getWithHost(port(named), '/api/projects', 'localhost')).status).toBe(421);
    expect(await upgrade(named, { headers: { host: 'edge.example' } })).toBe('open');
    expect(
      await upgrade(named, { headers: { host: 'edge.example' }, origin: 'https://edge.example' }),
    ).toBe('open');
    expect(
      await upgrade(named, { headers: { host: 'edge.example' }, origin: 'http://localhost' }),
    ).toBe(403);
  });

  it('allows any host with *, and then WebSockets only from the origin the Host names', async () => {
    expect((await getWithHost(port(any), '/api/projects', 'whatever.example')).status).toBe(200);
    const host = { host: 'whatever.example:8080' };
    expect(await upgrade(any, { headers: host, origin: 'http://whatever.example:8080' })).toBe(
      'open',
    );
    expect(await upgrade(any, { headers: host, origin: 'http://other.example' })).toBe(403);
  });
});
