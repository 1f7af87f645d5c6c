import { createServer } from 'node:net';
import { LeadService, WorkerService } from '@codeframe/proto';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { describe, expect, it } from 'vitest';
import { createRpcClient, isSafeToRetry } from './index.js';
import { startWorker } from './rpc-server.fixture.js';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('createRpcClient', () => {
  it('reports a refused connection as UNAVAILABLE, which is safe to retry for any method', async () => {
    const port = await closedPort();
    const client = createRpcClient(LeadService, {
      baseUrl: `http://127.0.0.1:${port}`,
      maxRetries: 0,
    });
    const err = await client.createProject({ prd: '# x' }).catch((e: unknown) => e);
    expect(ConnectError.from(err).code).toBe(Code.Unavailable);
    expect(isSafeToRetry(LeadService.method.createProject, err)).toBe(true);
  });

  it('retries only methods without side effects when the server itself is unavailable', () => {
    const unavailable = new ConnectError('the server is shutting down', Code.Unavailable);
    expect(isSafeToRetry(WorkerService.method.describe, unavailable)).toBe(true);
    expect(isSafeToRetry(LeadService.method.listProjects, unavailable)).toBe(true);
    expect(isSafeToRetry(LeadService.method.createProject, unavailable)).toBe(false);
    const invalid = new ConnectError('bad', Code.InvalidArgument);
    expect(isSafeToRetry(WorkerService.method.describe, invalid)).toBe(false);
  });

  it('gives unary calls a default deadline', async () => {
    // A server that accepts connections and never answers.
    const server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const client = createRpcClient(WorkerService, {
      baseUrl: `http://127.0.0.1:${port}`,
      unaryTimeoutMs: 300,
      maxRetries: 0,
    });
    const started = Date.now();
    const err = await client.describe({}).then(
      () => expect.unreachable(),
      (e: unknown) => ConnectError.from(e),
    );
    expect(err.code).toBe(Code.DeadlineExceeded);
    expect(Date.now() - started).toBeLessThan(5_000);
    server.close();
  });

  it('asks for streamed messages uncompressed; a client that asks for gzip still gets it', async () => {
    // Events of 4 KiB, past the 1 KiB above which a server compresses what a client accepts.
    const { server } = await startWorker({ messageChars: 4096 });
    const encodingOf = async (client: ReturnType<typeof createRpcClient<typeof WorkerService>>) => {
      let encoding: string | null = 'no headers';
      const events = client.executeTask(
        { task: { id: 't-1', title: 'three steps' }, repoUrl: 'file:///r', baseRef: 'main' },
        { onHeader: (headers) => (encoding = headers.get('grpc-encoding')) },
      );
      let messages = 0;
      for await (const event of events) {
        expect(event.payload.value).toMatchObject({
          message: expect.stringMatching(/^step \d\.+$/),
        });
        messages++;
      }
      expect(messages).toBe(3);
      return encoding;
    };
    expect(await encodingOf(createRpcClient(WorkerService, { baseUrl: server.url }))).toBeNull();
    // connect-node's own default accepts gzip and brotli: the server compresses for it.
    const gzipClient = createClient(WorkerService, createGrpcTransport({ baseUrl: server.url }));
    expect(await encodingOf(gzipClient)).toBe('gzip');
  });
});
