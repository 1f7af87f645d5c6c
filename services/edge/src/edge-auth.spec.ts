import { signEdgeToken } from '@codeframe/events';
import { type Cluster, type ServiceProcess, startCluster } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { demoBrain, demoPrd, FrameClient, startEdge } from './edge-cluster.test-support.js';

const SECRET = 'edge-test-secret-0123456789';
let cluster: Cluster;
let edge: ServiceProcess;
let mine: string;
let theirs: string;
let token: string;

beforeAll(async () => {
  cluster = await startCluster(demoBrain());
  edge = await startEdge(cluster.leadUrl, {
    CODEFRAME_EDGE_JWT_SECRET: SECRET,
    CODEFRAME_EDGE_ALLOWED_ORIGINS: 'http://dashboard.example',
  });
  mine = (await cluster.client.createProject({ prd: demoPrd('mine') })).project!.id;
  theirs = (await cluster.client.createProject({ prd: demoPrd('theirs') })).project!.id;
  token = await signEdgeToken(SECRET, { subject: 'ada', projects: [mine], expiresIn: '1h' });
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await cluster?.stop();
});

const base = () => `127.0.0.1:${edge.ports.http}`;

/** The HTTP status and body with which an upgrade is refused. */
function refusal(url: string, options: WebSocket.ClientOptions = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

describe('with CODEFRAME_EDGE_JWT_SECRET set', () => {
  it('refuses an upgrade without a token, or with a bad one, with 401 and the reason', async () => {
    const none = await refusal(`ws://${base()}/ws`);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error).toMatch(/a token is required/);
    const forged = await signEdgeToken('not-the-secret', { subject: 'eve', projects: '*' });
    const bad = await refusal(`ws://${base()}/ws?token=${forged}`);
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body).error).toMatch(/the token is not valid/);
  });

  it('accepts the token in the query or as a subprotocol, and refuses other projects', async () => {
    const byQuery = await FrameClient.connect(`ws://${base()}/ws?token=${token}`);
    byQuery.send({ type: 'subscribe', project_id: theirs, last_seq: 0 });
    expect(await byQuery.waitFor((f) => f.type === 'error')).toMatchObject({
      error: `your token does not grant project ${theirs}`,
      project_id: theirs,
    });
    byQuery.send({ type: 'subscribe', project_id: mine, last_seq: 0 });
    expect(await byQuery.waitFor((f) => f.type === 'subscribed')).toMatchObject({
      project_id: mine,
    });
    byQuery.close();
    const byProtocol = await FrameClient.connect(`ws://${base()}/ws`, [
      'codeframe.v1',
      `bearer.${token}`,
    ]);
    expect(byProtocol.ws.protocol).toBe('codeframe.v1');
    byProtocol.send({ type: 'ping' });
    expect(await byProtocol.waitFor((f) => f.type === 'pong')).toEqual({ type: 'pong' });
    byProtocol.close();
  });

  it('refuses an origin that is not allowed', async () => {
    const refused = await refusal(`ws://${base()}/ws?token=${token}`, {
      origin: 'http://elsewhere.example',
    });
    expect(refused.status).toBe(403);
    const allowed = await FrameClient.connect(`ws://${base()}/ws?token=${token}`);
    allowed.close();
  });

  it('closes a socket with 4001 when its token expires', async () => {
    const brief = await signEdgeToken(SECRET, {
      subject: 'ada',
      projects: [mine],
      expiresIn: '2s',
    });
    const client = await FrameClient.connect(`ws://${base()}/ws?token=${brief}`);
    expect(await client.closed).toBe(4001);
  });

  it('guards the HTTP API with the same tokens', async () => {
    const http = `http://${base()}`;
    const anonymous = await fetch(`${http}/api/projects`);
    expect(anonymous.status).toBe(401);
    const headers = { authorization: `Bearer ${token}` };
    const listed = (await (await fetch(`${http}/api/projects`, { headers })).json()) as {
      projects: { id: string }[];
    };
    expect(listed.projects.map((p) => p.id)).toEqual([mine]);
    const forbidden = await fetch(`${http}/api/projects/${theirs}/snapshot`, { headers });
    expect(forbidden.status).toBe(403);
    const snapshot = await fetch(`${http}/api/projects/${mine}/snapshot?token=${token}`);
    expect(snapshot.status).toBe(200);
    const metrics = await (await fetch(`${http}/metrics`)).text();
    expect(metrics).toMatch(/^codeframe_edge_auth_failures_total [1-9]/m);
  });
});
