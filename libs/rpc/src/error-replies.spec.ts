import { create, toBinary } from '@bufbuild/protobuf';
import { ExecuteTaskRequestSchema, WorkerService } from '@codeframe/proto';
import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { createRpcClient, invalidArgument } from './index.js';
import { grpcFrame, h1Post, h2Post } from './raw-http.fixture.js';
import { startWorker } from './rpc-server.fixture.js';

const DESCRIBE = '/codeframe.v1.WorkerService/Describe';
const EXECUTE = '/codeframe.v1.WorkerService/ExecuteTask';
// Field 2 (task), length-delimited, says 80 bytes follow; none do.
const TRUNCATED = Uint8Array.of(0x12, 0x50, 0x0a);
const json = (body: Buffer) => JSON.parse(body.toString('utf8')) as Record<string, unknown>;

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );

describe('an error a handler throws', () => {
  it('is INTERNAL with an error id, never its own message; the log has the id and the stack', async () => {
    const { server, lines } = await startWorker({
      describeThrows: new Error('cannot open /var/secret/db.sqlite'),
    });
    const client = createRpcClient(WorkerService, { baseUrl: server.url, maxRetries: 0 });
    const err = await errorOf(client.describe({}));
    expect(err?.code).toBe(Code.Internal);
    expect(err?.rawMessage).not.toMatch(/secret/);
    const id = /^internal error ([0-9a-f]{12}): the server logged/.exec(err?.rawMessage ?? '')?.[1];
    expect(id).toBeDefined();
    const logged = lines.find((l) => l.errorId === id);
    expect(logged).toMatchObject({ level: 50, rpc: 'WorkerService/Describe', code: 'Internal' });
    expect((logged?.err as { stack?: string } | undefined)?.stack).toMatch(
      /cannot open \/var\/secret\/db\.sqlite/,
    );
  });

  it('is INTERNAL with an id when it is not even an Error', async () => {
    const { server } = await startWorker({ describeThrows: 'a string' });
    const client = createRpcClient(WorkerService, { baseUrl: server.url, maxRetries: 0 });
    const err = await errorOf(client.describe({}));
    expect(err?.rawMessage).toMatch(/^internal error [0-9a-f]{12}: /);
  });

  it('keeps its code and sentence when it is a ConnectError', async () => {
    const { server } = await startWorker({ describeThrows: invalidArgument('kind', 'unknown') });
    const client = createRpcClient(WorkerService, { baseUrl: server.url, maxRetries: 0 });
    const err = await errorOf(client.describe({}));
    expect({ code: err?.code, message: err?.rawMessage }).toEqual({
      code: Code.InvalidArgument,
      message: 'kind: unknown',
    });
  });
});

describe('a request body that does not decode', () => {
  const invalid = /^the request is not a valid codeframe\.v1\.\w+ message: /;

  it('is INVALID_ARGUMENT over Connect with protobuf', async () => {
    const { server } = await startWorker();
    const reply = await h1Post(server.url, {
      path: DESCRIBE,
      headers: { 'content-type': 'application/proto' },
      body: TRUNCATED,
    });
    expect(reply.status).toBe(400);
    expect(json(reply.body)).toEqual({
      code: 'invalid_argument',
      message: expect.stringMatching(invalid),
    });
  });

  it('is INVALID_ARGUMENT over Connect with JSON', async () => {
    const { server } = await startWorker();
    for (const body of ['{"task":', '[]', '"a string"', '\u0000\u001b']) {
      const reply = await h1Post(server.url, {
        path: DESCRIBE,
        headers: { 'content-type': 'application/json' },
        body: Buffer.from(body),
      });
      expect({ body, code: json(reply.body).code }).toEqual({ body, code: 'invalid_argument' });
    }
  });

  it('is INVALID_ARGUMENT over gRPC, unary and server-streaming', async () => {
    const { server } = await startWorker();
    for (const path of [DESCRIBE, EXECUTE]) {
      const reply = await h2Post(server.url, {
        path,
        headers: { 'content-type': 'application/grpc' },
        body: grpcFrame(TRUNCATED),
      });
      expect({ path, status: reply.headers['grpc-status'] }).toEqual({ path, status: '3' });
      expect(decodeURIComponent(String(reply.headers['grpc-message']))).toMatch(invalid);
    }
  });

  it('is INVALID_ARGUMENT over gRPC-Web', async () => {
    const { server } = await startWorker();
    const reply = await h1Post(server.url, {
      path: DESCRIBE,
      headers: { 'content-type': 'application/grpc-web+proto' },
      body: grpcFrame(TRUNCATED),
    });
    expect(reply.body.subarray(5).toString('utf8')).toMatch(/grpc-status: 3\r\n/);
  });

  it('is INVALID_ARGUMENT when a gRPC message says it is compressed and no encoding was named', async () => {
    const { server } = await startWorker();
    const valid = toBinary(ExecuteTaskRequestSchema, create(ExecuteTaskRequestSchema, {}));
    for (const path of [DESCRIBE, EXECUTE]) {
      const reply = await h2Post(server.url, {
        path,
        headers: { 'content-type': 'application/grpc' },
        body: grpcFrame(valid, { flags: 1 }),
      });
      expect({ path, status: reply.headers['grpc-status'] }).toEqual({ path, status: '3' });
    }
  });

  it('leaves the server serving', async () => {
    const { server } = await startWorker();
    await h2Post(server.url, {
      path: DESCRIBE,
      headers: { 'content-type': 'application/grpc' },
      body: grpcFrame(TRUNCATED, { length: 1 << 20 }),
    });
    const client = createRpcClient(WorkerService, { baseUrl: server.url, maxRetries: 0 });
    expect((await client.describe({})).version).toBe('1.2.3');
  });
});

describe('a gRPC call without its request message, or with two', () => {
  it('is INVALID_ARGUMENT, unary or server stream (not a crash of the call logging)', async () => {
    const { server } = await startWorker();
    const one = grpcFrame(new Uint8Array());
    for (const path of [DESCRIBE, EXECUTE]) {
      for (const body of [new Uint8Array(), Buffer.concat([one, one])]) {
        const reply = await h2Post(server.url, {
          path,
          headers: { 'content-type': 'application/grpc' },
          body,
        });
        const status = reply.headers['grpc-status'];
        expect({ path, frames: body.length / 5, status }).toEqual({
          path,
          frames: body.length / 5,
          status: String(Code.InvalidArgument),
        });
      }
    }
  });
});
