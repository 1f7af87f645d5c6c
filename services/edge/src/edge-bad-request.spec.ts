// Finding 1 of issue 12: one malformed request must never take the edge down. Every bad
// request gets a 4xx with a sentence, and the edge keeps serving.
import { signEdgeToken } from '@codeframe/events';
import type { ServiceProcess } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge } from './edge-cluster.test-support.js';
import { type FakeLead, startFakeLead } from './fake-lead.test-support.js';

const SECRET = 'bad-request-secret-0123456789';
let lead: FakeLead;
let open: ServiceProcess;
let guarded: ServiceProcess;

const start = (env: Record<string, string> = {}) => startEdge(lead.url, env);

beforeAll(async () => {
  lead = await startFakeLead();
  lead.createProject('p-1');
  [open, guarded] = await Promise.all([start(), start({ CODEFRAME_EDGE_JWT_SECRET: SECRET })]);
}, 30_000);
afterAll(async () => {
  await Promise.all([open?.stop(), guarded?.stop()]);
  await lead?.close();
});

const http = (edge: ServiceProcess) => `http://127.0.0.1:${edge.ports.http}`;

async function errorOf(response: Response): Promise<string> {
  return ((await response.json()) as { error: string }).error;
}

describe('a malformed project id in the snapshot route', () => {
  it.each(['%ff', '%', '%E0%A4%A', 'a%zzb'])(
    'answers %s with 400 and a sentence, and the edge keeps serving',
    async (id) => {
      const response = await fetch(`${http(open)}/api/projects/${id}/snapshot`);
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatch(/^project id is not valid percent-encoding/);
      expect((await fetch(`${http(open)}/healthz`)).status).toBe(200);
      expect(open.child.exitCode).toBeNull();
    },
  );

  it('is refused for a missing token first (401), before anything parses it', async () => {
    const response = await fetch(`${http(guarded)}/api/projects/%ff/snapshot`);
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toMatch(/a token is required/);
    const token = await signEdgeToken(SECRET, { subject: 'ada', projects: '*' });
    const authed = await fetch(`${http(guarded)}/api/projects/%ff/snapshot?token=${token}`);
    expect(authed.status).toBe(400);
    expect((await fetch(`${http(guarded)}/healthz`)).status).toBe(200);
  });

  it('counts them in the metrics, and none as an internal error', async () => {
    const metrics = await (await fetch(`${http(open)}/metrics`)).text();
    expect(metrics).toMatch(/^codeframe_edge_bad_requests_total [4-9]/m);
    expect(metrics).toMatch(/^codeframe_edge_internal_errors_total 0$/m);
  });

  it('still serves a well-formed id', async () => {
    const response = await fetch(`${http(open)}/api/projects/p-1/snapshot`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ project: { id: 'p-1' } });
  });
});
