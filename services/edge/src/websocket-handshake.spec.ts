// uWebSockets.js upgrades a GET that carries a 24-character Sec-WebSocket-Key, whatever else
// it says: a proxy that dropped Upgrade and Connection (nginx without the lines of
// deploy/nginx/edge.conf) got a socket anyway. The edge checks the whole handshake itself.
import type { ServiceProcess } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';
import { rawRequest } from './raw-http.test-support.js';

let lead: FakeLead;
let edge: ServiceProcess;

beforeAll(async () => {
  lead = await startFakeLead();
  edge = await startEdge(lead.url);
}, 30_000);
afterAll(async () => {
  await edge?.stop();
  await lead?.close();
});

const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const proper: Record<string, string> = {
  host: 'localhost',
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': KEY,
  'sec-websocket-version': '13',
};

/** A GET /ws with `proper`'s headers, less those set to undefined, plus the others. */
function handshake(changes: Record<string, string | undefined>) {
  const headers = Object.entries({ ...proper, ...changes }).filter(([, v]) => v !== undefined);
  const head = ['GET /ws HTTP/1.1', ...headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n');
  return rawRequest(edge.ports.http!, head, 10_000, false);
}

const errorOf = (body: string) => (JSON.parse(body) as { error: string }).error;

describe('the WebSocket opening handshake on /ws', () => {
  it('upgrades a proper one (101, with the accept key of RFC 6455)', async () => {
    const answer = await handshake({});
    expect(answer.status).toBe(101);
    expect(answer.headers.upgrade?.toLowerCase()).toBe('websocket');
    expect(answer.headers['sec-websocket-accept']).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    // Connection tokens are a list, in any case.
    expect(
      (await handshake({ connection: 'keep-alive, upgrade', upgrade: 'WebSocket' })).status,
    ).toBe(101);
  });

  it.each([
    ['without Upgrade', { upgrade: undefined }, /the Upgrade header is "", not "websocket"/],
    ['with another Upgrade', { upgrade: 'h2c' }, /the Upgrade header is "h2c"/],
    [
      'without Connection',
      { connection: undefined },
      /the Connection header is "", without "upgrade"/,
    ],
    ['with Connection: close', { connection: 'close' }, /the Connection header is "close"/],
    [
      'with a key that is not 16 bytes of base64',
      { 'sec-websocket-key': '!!!!!!!!!!!!!!!!!!!!!!!!' },
      /Sec-WebSocket-Key is not 16 bytes in base64/,
    ],
  ])('refuses one %s with 400 and a sentence', async (_, changes, error) => {
    const answer = await handshake(changes);
    expect(answer.status).toBe(400);
    expect(errorOf(answer.body)).toMatch(/^not a WebSocket handshake: /);
    expect(errorOf(answer.body)).toMatch(error);
  });

  it('answers another version with 426 and the version it speaks', async () => {
    const answer = await handshake({ 'sec-websocket-version': '8' });
    expect(answer.status).toBe(426);
    expect(answer.headers['sec-websocket-version']).toBe('13');
    expect(errorOf(answer.body)).toMatch(/Sec-WebSocket-Version "8" is not supported/);
  });

  it('answers a GET /ws without a key (which uWS passes on) with 400, not the dashboard', async () => {
    for (const changes of [{ 'sec-websocket-key': undefined }, { 'sec-websocket-key': 'short' }]) {
      const answer = await handshake(changes);
      expect(answer.status).toBe(400);
      expect(errorOf(answer.body)).toMatch(/^not a WebSocket handshake: Sec-WebSocket-Key/);
    }
  });

  it('counts them as bad requests, and keeps serving', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${edge.ports.http}/metrics`)).text();
    expect(metrics).toMatch(/^codeframe_edge_bad_requests_total ([89]|\d\d+)$/m);
    expect(metrics).toMatch(/^codeframe_edge_internal_errors_total 0$/m);
  });
});
