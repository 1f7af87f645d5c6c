// The guard in front of every uWS handler, on a real uWS server in this process: uWS ends
// the process on an exception that escapes a handler, so none may.
import { silentLogger } from '@codeframe/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BadRequest } from './bad-request.js';
import { EdgeMetrics } from './edge-metrics.js';
import { HandlerGuard, type SocketData } from './handler-guard.js';
import { OriginPolicy } from './origin-policy.js';
import { SocketSession } from './socket-session.js';
import { loadNativeUws, type UWS } from './uws.js';

const uws = loadNativeUws();
const logged: Record<string, unknown>[] = [];
const logger = Object.assign(Object.create(silentLogger), {
  error: (fields: Record<string, unknown>) => logged.push(fields),
}) as typeof silentLogger;
const metrics = new EdgeMetrics();
const policy = new OriginPolicy({ allowedHosts: [], allowedOrigins: [], listenHost: '127.0.0.1' });
const guard = new HandlerGuard(logger, metrics, policy);
let listen: UWS.us_listen_socket;
let base: string;

beforeAll(async () => {
  const app = uws.App();
  app.get(
    '/bad',
    guard.http('bad', () => {
      throw new BadRequest('the widget id is not a widget id');
    }),
  );
  app.get(
    '/throws',
    guard.http('throws', () => {
      throw new Error('a bug');
    }),
  );
  app.get(
    '/rejects',
    guard.http('rejects', async () => {
      await Promise.resolve();
      throw new TypeError('a later bug');
    }),
  );
  app.get(
    '/half',
    guard.http('half', (reply) =>
      reply.cork(() => {
        throw new Error('a bug mid-answer');
      }),
    ),
  );
  app.ws<SocketData>('/ws', {
    upgrade: (res, req, context) =>
      res.upgrade(
        {
          session: new SocketSession(
            1,
            { subject: 't', projects: '*' },
            { metrics, pauseBytes: 1e6, refusalLimit: 20 },
          ),
        },
        req.getHeader('sec-websocket-key'),
        '',
        req.getHeader('sec-websocket-extensions'),
        context,
      ),
    open: guard.socket('open', (ws) => ws.getUserData().session.attach(ws)),
    message: guard.socket('message', () => {
      throw new Error('a message bug');
    }),
  });
  await new Promise<void>((resolve) =>
    app.listen('127.0.0.1', 0, (socket) => {
      listen = socket as UWS.us_listen_socket;
      base = `127.0.0.1:${uws.us_socket_local_port(socket as unknown as UWS.us_socket)}`;
      resolve();
    }),
  );
});
afterAll(() => uws.us_listen_socket_close(listen));

describe('HandlerGuard', () => {
  it('answers a BadRequest with 400 and its sentence', async () => {
    const response = await fetch(`http://${base}/bad`);
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: 'the widget id is not a widget id' });
  });

  it.each(['/throws', '/rejects'])(
    'answers %s with 500 naming the id under which the error was logged',
    async (path) => {
      const response = await fetch(`http://${base}${path}`);
      expect(response.status).toBe(500);
      const body = (await response.json()) as { error: string; error_id: string };
      expect(body.error_id).toMatch(/^[0-9a-f]{12}$/);
      expect(body.error).toContain(`error ${body.error_id}`);
      expect(logged).toContainEqual(expect.objectContaining({ errorId: body.error_id }));
    },
  );

  it('drops the connection when the error came half-way through an answer', async () => {
    await expect(fetch(`http://${base}/half`)).rejects.toThrow();
    expect((await fetch(`http://${base}/bad`)).status).toBe(400);
  });

  it('turns a failed socket handler into an error frame with the id, and keeps the socket', async () => {
    const ws = new WebSocket(`ws://${base}/ws`);
    await new Promise((resolve) => ws.once('open', resolve));
    const frame = new Promise<Record<string, string>>((resolve) =>
      ws.once('message', (data) => resolve(JSON.parse(data.toString()))),
    );
    ws.send('anything');
    const error = await frame;
    expect(error).toMatchObject({ type: 'error', error_id: expect.stringMatching(/^[0-9a-f]+$/) });
    expect(logged).toContainEqual(expect.objectContaining({ errorId: error.error_id }));
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});
