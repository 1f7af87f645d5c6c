// Finding 3 of issue 12: with the defaults (no token, no allowed origins) a DNS-rebinding
// page in a developer's browser could drive the edge. The edge answers only the host names
// of every CodeFRAME server (`hostNameRule` of @codeframe/rpc: localhost, *.localhost, IP
// addresses, HOST, CODEFRAME_ALLOWED_HOSTS; 421 otherwise) and, by default, WebSockets only
// from its own origins: never from a page on another IP address.
import type { ServiceProcess } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FrameClient, startEdge } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';
import { getWithHost } from './raw-http.test-support.js';

let lead: FakeLead;
let edge: ServiceProcess;
let named: ServiceProcess;
let any: ServiceProcess;

const start = (env: Record<string, string> = {}) => startEdge(lead.url, env);

beforeAll(async () => {
  lead = await startFakeLead();
  lead.createProject('p-1');
  [edge, named, any] = await Promise.all([
    start(),
    start({ CODEFRAME_ALLOWED_HOSTS: 'edge.example' }),
    start({ CODEFRAME_ALLOWED_HOSTS: '*' }),
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
  it('answers localhost, *.localhost and IP addresses, with any port', async () => {
    for (const host of [
      'localhost',
      `localhost:${port(edge)}`,
      'app.localhost',
      '127.0.0.1:1',
      '[::1]:7080',
      '10.1.2.3:7080',
      '[fd00::5]',
    ]) {
      expect({
        host,
        status: (await getWithHost(port(edge), '/api/projects', host)).status,
      }).toEqual({
        host,
        status: 200,
      });
    }
  });

  it('refuses any other Host with 421 and the sentence of the rule, on every route and the upgrade', async () => {
    for (const path of ['/api/projects', '/api/projects/p-1/snapshot', '/', '/metrics', '/nope']) {
      const refused = await getWithHost(port(edge), path, 'rebound.example:7080');
      expect(refused.status).toBe(421);
      expect(JSON.parse(refused.body).error).toBe(
        'this server does not answer to the host name "rebound.example": add it to CODEFRAME_ALLOWED_HOSTS if clients should reach it by that name',
      );
    }
    const empty = await getWithHost(port(edge), '/api/projects', '');
    expect(empty.status).toBe(421);
    expect(await upgrade(edge, { headers: { host: 'rebound.example' } })).toBe(421);
    const metrics = await getWithHost(port(edge), '/metrics', 'localhost');
    expect(metrics.body).toMatch(/^codeframe_edge_refused_hosts_total [1-9]/m);
  });

  it('refuses a malformed Host: nothing passes for an address or localhost', async () => {
    for (const host of ['localhost:x', 'a:b:c', '[::1', 'user@localhost', 'localhost/x', '::1']) {
      const refused = await getWithHost(port(edge), '/api/projects', host);
      expect({ host, status: refused.status }).toEqual({ host, status: 421 });
      expect(JSON.parse(refused.body).error).toMatch(/is not a host name or address/);
    }
  });

  it('still answers /healthz for probes, whatever Host they send', async () => {
    expect((await getWithHost(port(edge), '/healthz', '10.1.2.3:7080')).status).toBe(200);
    expect((await getWithHost(port(edge), '/healthz', 'probe.internal')).status).toBe(200);
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

  it('takes a page from the address the request names, but not from any other address', async () => {
    const host = { host: '10.9.8.7:7080' };
    expect(await upgrade(edge, { headers: host, origin: 'http://10.9.8.7:7080' })).toBe('open');
    expect(await upgrade(edge, { headers: host, origin: 'http://10.9.8.7:8080' })).toBe(403);
    expect(await upgrade(edge, { headers: host, origin: 'http://203.0.113.7:7080' })).toBe(403);
    expect(await upgrade(edge, { origin: 'http://203.0.113.7' })).toBe(403);
    expect(await upgrade(edge, { origin: `http://203.0.113.7:${port(edge)}` })).toBe(403);
  });
});

describe('CODEFRAME_ALLOWED_HOSTS', () => {
  it('adds the names it lists to the defaults', async () => {
    expect((await getWithHost(port(named), '/api/projects', 'edge.example')).status).toBe(200);
    expect((await getWithHost(port(named), '/api/projects', 'EDGE.example:443')).status).toBe(200);
    expect((await getWithHost(port(named), '/api/projects', 'localhost')).status).toBe(200);
    expect((await getWithHost(port(named), '/api/projects', '10.1.2.3')).status).toBe(200);
    expect((await getWithHost(port(named), '/api/projects', 'other.example')).status).toBe(421);
    expect(await upgrade(named, { headers: { host: 'edge.example' } })).toBe('open');
    expect(
      await upgrade(named, { headers: { host: 'edge.example' }, origin: 'https://edge.example' }),
    ).toBe('open');
    expect(
      await upgrade(named, { headers: { host: 'edge.example' }, origin: 'http://localhost' }),
    ).toBe('open');
    expect(
      await upgrade(named, { headers: { host: 'edge.example' }, origin: 'https://other.example' }),
    ).toBe(403);
  });

  it("applies to the edge's gRPC health port too", async () => {
    const health = '/grpc.health.v1.Health/Check';
    expect((await getWithHost(edge.ports.rpc!, health, 'edge.example')).status).toBe(421);
    expect((await getWithHost(named.ports.rpc!, health, 'edge.example')).status).not.toBe(421);
  });

  it('allows any host with *, and then WebSockets only from the origin the Host names (or loopback)', async () => {
    expect((await getWithHost(port(any), '/api/projects', 'whatever.example')).status).toBe(200);
    const host = { host: 'whatever.example:8080' };
    expect(await upgrade(any, { headers: host, origin: 'http://whatever.example:8080' })).toBe(
      'open',
    );
    expect(await upgrade(any, { headers: host, origin: 'http://other.example' })).toBe(403);
    expect(await upgrade(any, { headers: host, origin: 'http://203.0.113.7' })).toBe(403);
  });
});
