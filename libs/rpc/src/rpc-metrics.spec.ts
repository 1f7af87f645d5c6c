import { WorkerService } from '@codeframe/proto';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { describe, expect, it } from 'vitest';
import { startWorker } from './rpc-server.fixture.js';

const scrape = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${url}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

describe('/metrics on an RPC server', () => {
  it('counts calls by the method of the descriptor and their code, unary and streaming', async () => {
    const { server } = await startWorker({ describeThrows: new ConnectError('no', Code.NotFound) });
    const client = createClient(
      WorkerService,
      createConnectTransport({ baseUrl: server.url, httpVersion: '1.1' }),
    );
    await expect(client.describe({})).rejects.toThrow();
    for await (const _ of client.executeTask({
      task: { id: 't-1', title: 'x' },
      repoUrl: 'file:///r',
      baseRef: 'main',
    })) {
      // drain
    }
    const { status, type, text } = await scrape(server.url);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain/);
    expect(text).toMatch(
      /^codeframe_rpc_calls_total\{method="codeframe\.v1\.WorkerService\/Describe",code="NotFound"\} [1-9]/m,
    );
    expect(text).toMatch(
      /^codeframe_rpc_duration_seconds_count\{method="codeframe\.v1\.WorkerService\/ExecuteTask",code="OK"\} [1-9]/m,
    );
    expect(text).toMatch(/^codeframe_nodejs_eventloop_lag_seconds /m);
  });

  it('makes no series for paths a client invents', async () => {
    const { server } = await startWorker();
    const made = await fetch(`${server.url}/codeframe.v1.WorkerService/Invented`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(made.status).toBe(404);
    expect((await scrape(server.url)).text).not.toContain('Invented');
  });

  it('is served without the bearer token, and only on the host names the server serves', async () => {
    const { server } = await startWorker({ authToken: 'secret-token' });
    expect((await scrape(server.url)).status).toBe(200);
    expect((await scrape(server.url.replace('127.0.0.1', 'localhost'))).status).toBe(200);
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request(`${server.url}/metrics`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
  });
});
