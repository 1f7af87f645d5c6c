import { WorkerService } from '@codeframe/proto';
import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { createRpcClient } from './index.js';
import { grpcFrame, h1Post, h2Post } from './raw-http.fixture.js';
import { startWorker } from './rpc-server.fixture.js';

const DESCRIBE = '/codeframe.v1.WorkerService/Describe';
const EXECUTE = '/codeframe.v1.WorkerService/ExecuteTask';
const MiB = 1024 * 1024;
const json = (body: Buffer) => JSON.parse(body.toString('utf8')) as Record<string, unknown>;

describe('a call without the token', () => {
  // 64 MiB offered, far more than any socket buffer: a server that answers from the
  // headers has its reply out while the client is still writing.
  const offered = 64 * MiB;

  it('is refused over HTTP/1.1 from its headers, before the server reads the body', async () => {
    const { server } = await startWorker({ authToken: 's3cret' });
    const reply = await h1Post(server.url, {
      path: DESCRIBE,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: { streamBytes: offered },
    });
    expect(reply.status).toBe(401);
    expect(json(reply.body)).toEqual({
      code: 'unauthenticated',
      message: expect.stringMatching(/^missing bearer token: /),
    });
    expect(reply.sentBeforeReply).toBeLessThan(offered / 4);
  });

  it('is refused over HTTP/2 with a trailers-only gRPC status, before the body is read', async () => {
    const { server } = await startWorker({ authToken: 's3cret' });
    const reply = await h2Post(server.url, {
      path: EXECUTE,
      headers: { 'content-type': 'application/grpc', authorization: 'Bearer wrong' },
      body: { streamBytes: offered, first: grpcFrame(new Uint8Array(), { length: offered - 5 }) },
    });
    expect(reply.headers['grpc-status']).toBe('16');
    expect(reply.headers['grpc-message']).toMatch(/^invalid bearer token: /);
    expect(reply.sentBeforeReply).toBeLessThan(offered / 4);
  });

  it('still reaches the health service, which needs no token', async () => {
    const { server } = await startWorker({ authToken: 's3cret' });
    const reply = await h1Post(server.url, {
      path: '/grpc.health.v1.Health/Check',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{}'),
    });
    expect(json(reply.body)).toEqual({ status: 'SERVING' });
  });
});

describe('message size limits', () => {
  it('refuses a content-length above the limit before reading any of the body', async () => {
    const { server } = await startWorker({ maxMessageBytes: MiB });
    const reply = await h1Post(server.url, {
      path: DESCRIBE,
      headers: { 'content-type': 'application/json', 'content-length': String(100 * MiB) },
      body: { streamBytes: 0 },
    });
    expect(reply.status).toBe(413);
    expect(json(reply.body)).toEqual({
      code: 'resource_exhausted',
      message: `the request body of ${100 * MiB} bytes is larger than the limit of ${MiB} bytes (CODEFRAME_MAX_MESSAGE_BYTES)`,
    });
  });

  it('refuses a gRPC message above the limit, and serves one below it', async () => {
    const { server } = await startWorker({ maxMessageBytes: MiB });
    const reply = await h2Post(server.url, {
      path: EXECUTE,
      headers: { 'content-type': 'application/grpc' },
      body: { streamBytes: 4 * MiB, first: grpcFrame(new Uint8Array(), { length: 4 * MiB - 5 }) },
    });
    expect(reply.headers['grpc-status']).toBe(String(Code.ResourceExhausted));
    const client = createRpcClient(WorkerService, { baseUrl: server.url });
    const title = 'x'.repeat(MiB / 2);
    const events = [];
    for await (const e of client.executeTask({
      task: { id: 't', title },
      repoUrl: 'file:///r',
      baseRef: 'main',
    }))
      events.push(e);
    expect(events).toHaveLength(3);
  });
});

describe('the Host a request names', () => {
  it('is refused with 421 and a sentence when it is not a name of this server', async () => {
    const { server } = await startWorker();
    const reply = await h1Post(server.url, {
      path: DESCRIBE,
      headers: {
        'content-type': 'application/json',
        host: `rebind.attacker.example:${server.port}`,
      },
      body: Buffer.from('{}'),
    });
    expect(reply.status).toBe(421);
    expect(json(reply.body)).toEqual({
      code: 'permission_denied',
      message: `this server does not answer to the host name "rebind.attacker.example": add it to CODEFRAME_ALLOWED_HOSTS if clients should reach it by that name`,
    });
  });

  it('is refused over gRPC by :authority', async () => {
    const { server } = await startWorker();
    const reply = await h2Post(server.url, {
      path: DESCRIBE,
      headers: { 'content-type': 'application/grpc', ':authority': 'rebind.attacker.example' },
      body: grpcFrame(new Uint8Array()),
    });
    expect(reply.headers['grpc-status']).toBe(String(Code.PermissionDenied));
    expect(reply.headers['grpc-message']).toMatch(/does not answer to the host name "rebind/);
  });

  it('is served for loopback names, IP addresses and the configured names', async () => {
    const { server } = await startWorker({ allowedHosts: ['lead.internal'] });
    for (const host of [
      'localhost',
      `localhost:${server.port}`,
      'app.localhost',
      '127.0.0.1:1',
      '[::1]:7100',
      '10.20.30.40',
      '[fd00::5]',
      'lead.internal:7100',
      'LEAD.internal',
    ]) {
      const reply = await h1Post(server.url, {
        path: DESCRIBE,
        headers: { 'content-type': 'application/json', host },
        body: Buffer.from('{}'),
      });
      expect({ host, status: reply.status }).toEqual({ host, status: 200 });
    }
  });

  it('is served for any name with "*"', async () => {
    const { server } = await startWorker({ allowedHosts: ['*'] });
    const reply = await h1Post(server.url, {
      path: DESCRIBE,
      headers: { 'content-type': 'application/json', host: 'anything.example' },
      body: Buffer.from('{}'),
    });
    expect(reply.status).toBe(200);
  });

  it('lets a client that dials the server by its address through', async () => {
    const { server } = await startWorker();
    const client = createRpcClient(WorkerService, { baseUrl: server.url, maxRetries: 0 });
    expect((await client.describe({})).version).toBe('1.2.3');
    const named = createRpcClient(WorkerService, {
      baseUrl: `http://localhost:${server.port}`,
      maxRetries: 0,
    });
    await expect(named.describe({})).resolves.toBeDefined();
    await expect(named.describe({})).resolves.not.toBeInstanceOf(ConnectError);
  });
});
