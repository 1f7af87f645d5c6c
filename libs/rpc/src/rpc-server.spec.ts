import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
  TaskKind,
  WorkerService,
} from '@codeframe/proto';
import { sleep } from '@codeframe/runtime';
import { grpcJsClient, grpcJsHealthCheck, grpcJsUnary } from '@codeframe/testkit';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from '@connectrpc/connect-node';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createRpcClient, startRpcServer } from './index.js';
import { startWorker, WORKER_PROTO } from './rpc-server.fixture.js';

describe('startRpcServer', () => {
  it('serves gRPC (HTTP/2), gRPC-Web and Connect (HTTP/1.1) on one port', async () => {
    const { server } = await startWorker();
    const transports = [
      createGrpcTransport({ baseUrl: server.url }),
      createGrpcWebTransport({ baseUrl: server.url, httpVersion: '1.1' }),
      createConnectTransport({ baseUrl: server.url, httpVersion: '1.1' }),
      createConnectTransport({ baseUrl: server.url, httpVersion: '2' }),
    ];
    for (const transport of transports) {
      const res = await createClient(WorkerService, transport).describe({});
      expect(res.kind).toBe(TaskKind.BACKEND);
      expect(res.capacity).toBe(4);
    }
  });

  it('answers grpc.health.v1 to grpc-js and to a Connect client', async () => {
    const { server } = await startWorker();
    const address = `127.0.0.1:${server.port}`;
    expect(await grpcJsHealthCheck(address)).toBe('SERVING');
    expect(await grpcJsHealthCheck(address, 'codeframe.v1.WorkerService')).toBe('SERVING');
    await expect(grpcJsHealthCheck(address, 'no.such.Service')).rejects.toMatchObject({
      code: 5, // NOT_FOUND
    });
    const health = createRpcClient(Health, { baseUrl: server.url });
    expect((await health.check({})).status).toBe(Status.SERVING);
  });

  it('answers a worker Describe to grpc-js, loading the .proto files like any polyglot client', async () => {
    const { server } = await startWorker();
    const client = grpcJsClient(
      WORKER_PROTO,
      'codeframe.v1.WorkerService',
      `127.0.0.1:${server.port}`,
    );
    const res = await grpcJsUnary<{ kind: string; version: string }>(client, 'Describe', {});
    client.close();
    expect(res).toMatchObject({ kind: 'TASK_KIND_BACKEND', version: '1.2.3' });
  });

  it('streams a server stream to grpc-js', async () => {
    const { server } = await startWorker();
    const client = grpcJsClient(
      WORKER_PROTO,
      'codeframe.v1.WorkerService',
      `127.0.0.1:${server.port}`,
    );
    const call = (
      client.ExecuteTask as (req: object) => AsyncIterable<{ activityUpdate?: { message: string } }>
    )({ task: { id: 't1', title: 'x', projectId: 'p1' }, repoUrl: 'file:///r', baseRef: 'main' });
    const messages: string[] = [];
    for await (const event of call) messages.push(event.activityUpdate?.message ?? '');
    client.close();
    expect(messages).toEqual(['step 0', 'step 1', 'step 2']);
  });

  it('logs each call with the project and task ids its request names', async () => {
    const { server, lines } = await startWorker();
    const client = createRpcClient(WorkerService, { baseUrl: server.url });
    for await (const _ of client.executeTask({
      task: { id: 't7', title: 'x', projectId: 'p7' },
      repoUrl: 'file:///r',
      baseRef: 'main',
    })) {
      // drain
    }
    const ended = lines.find(
      (l) => l.rpc === 'WorkerService/ExecuteTask' && l.msg === 'call ended',
    );
    expect(ended).toMatchObject({ projectId: 'p7', taskId: 't7', code: 'ok' });
  });
});

describe('bearer authentication', () => {
  it('refuses calls without the token or with a wrong one, with a sentence that says which', async () => {
    const { server } = await startWorker({ authToken: 's3cret' });
    const client = grpcJsClient(
      WORKER_PROTO,
      'codeframe.v1.WorkerService',
      `127.0.0.1:${server.port}`,
    );
    await expect(grpcJsUnary(client, 'Describe', {})).rejects.toMatchObject({
      code: 16, // UNAUTHENTICATED
      details: expect.stringMatching(
        /^missing bearer token: this service requires "authorization: Bearer <token>" with the CODEFRAME_AUTH_TOKEN/,
      ),
    });
    await expect(
      grpcJsUnary(client, 'Describe', {}, { authorization: 'Bearer wrong' }),
    ).rejects.toMatchObject({ code: 16, details: expect.stringMatching(/invalid bearer token/) });
    const ok = await grpcJsUnary(client, 'Describe', {}, { authorization: 'Bearer s3cret' });
    expect(ok).toMatchObject({ kind: 'TASK_KIND_BACKEND' });
    client.close();
    const authed = createRpcClient(WorkerService, { baseUrl: server.url, token: 's3cret' });
    expect((await authed.describe({})).kind).toBe(TaskKind.BACKEND);
  });

  it('leaves health checks open for probes', async () => {
    const { server } = await startWorker({ authToken: 's3cret' });
    expect(await grpcJsHealthCheck(`127.0.0.1:${server.port}`)).toBe('SERVING');
  });
});

describe('graceful shutdown', () => {
  it('lets short streams finish, cancels long ones after the grace period, refuses new calls', async () => {
    const { server } = await startWorker({ shutdownGraceMs: 600 });
    const client = createRpcClient(WorkerService, { baseUrl: server.url, maxRetries: 0 });
    const collect = async (title: string) => {
      const seen: string[] = [];
      try {
        for await (const e of client.executeTask({
          task: { id: title, title },
          repoUrl: 'file:///r',
          baseRef: 'main',
        })) {
          if (e.payload.case === 'activityUpdate') seen.push(e.payload.value.message);
        }
        return { seen, error: undefined };
      } catch (err) {
        return { seen, error: ConnectError.from(err) };
      }
    };
    const short = collect('short');
    const forever = collect('forever');
    await sleep(150);
    const started = Date.now();
    await server.close();
    const elapsed = Date.now() - started;
    expect(await short).toEqual({ seen: ['step 0', 'step 1', 'step 2'], error: undefined });
    const long = await forever;
    expect(long.error?.code).toBe(Code.Unavailable);
    expect(long.error?.rawMessage).toMatch(/shutting down/);
    expect(elapsed).toBeGreaterThanOrEqual(500);
    const after = createRpcClient(WorkerService, { baseUrl: server.url, maxRetries: 0 });
    await expect(after.describe({})).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it('ends health watches with NOT_SERVING', async () => {
    const { server } = await startWorker();
    const health = createRpcClient(Health, { baseUrl: server.url });
    const statuses: Status[] = [];
    const watching = (async () => {
      for await (const res of health.watch({})) statuses.push(res.status);
    })();
    await sleep(100);
    await server.close();
    await watching;
    expect(statuses).toEqual([Status.SERVING, Status.NOT_SERVING]);
  });
});

describe('listening', () => {
  it('says which port is in use and what to do', async () => {
    const { server } = await startWorker();
    await expect(
      startRpcServer({
        host: '127.0.0.1',
        port: server.port,
        logger: pino({ enabled: false }),
        services: [],
        routes: () => {},
        authToken: undefined,
        shutdownGraceMs: 100,
      }),
    ).rejects.toThrow(`cannot listen on 127.0.0.1:${server.port}: the port is in use (set PORT`);
  });
});
