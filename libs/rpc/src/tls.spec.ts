import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Health, TaskKind, WorkerService } from '@codeframe/proto';
import {
  ConfigError,
  clientTls,
  loadConfig,
  serverTls,
  tlsClientSettings,
  tlsServerSettings,
} from '@codeframe/runtime';
import { makeTestCerts } from '@codeframe/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createRpcClient } from './index.js';
import { startWorker } from './rpc-server.fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'rpc-tls-'));
const certs = makeTestCerts(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const server = (clientCa?: string) =>
  serverTls(
    loadConfig(tlsServerSettings, {
      CODEFRAME_TLS_CERT: certs.serverCert,
      CODEFRAME_TLS_KEY: certs.serverKey,
      CODEFRAME_TLS_CLIENT_CA: clientCa,
    }),
  );
const client = (env: Record<string, string>) => clientTls(loadConfig(tlsClientSettings, env));
const withCert = {
  CODEFRAME_TLS_CLIENT_CERT: certs.clientCert,
  CODEFRAME_TLS_CLIENT_KEY: certs.clientKey,
};

describe('TLS on the RPC port', () => {
  it('serves gRPC over HTTP/2 and Connect over HTTP/1.1 on one https port, by ALPN', async () => {
    const { server: worker } = await startWorker({ tls: server() });
    expect(worker.url).toBe(`https://127.0.0.1:${worker.port}`);
    const tls = client({ CODEFRAME_TLS_CA: certs.ca });
    for (const protocol of ['grpc', 'connect'] as const) {
      const rpc = createRpcClient(WorkerService, { baseUrl: worker.url, protocol, tls });
      expect((await rpc.describe({})).kind).toBe(TaskKind.BACKEND);
    }
  });

  it('refuses a client that does not trust the server certificate’s CA, saying so', async () => {
    const { server: worker } = await startWorker({ tls: server() });
    for (const tls of [{}, client({ CODEFRAME_TLS_CA: certs.otherCa })]) {
      const rpc = createRpcClient(Health, { baseUrl: worker.url, tls, maxRetries: 0 });
      await expect(rpc.check({})).rejects.toThrow(/certificate/i);
    }
  });

  it('under mutual TLS serves a client with a certificate of the client CA and refuses one without', async () => {
    const { server: worker } = await startWorker({ tls: server(certs.ca) });
    const ca = { CODEFRAME_TLS_CA: certs.ca };
    for (const protocol of ['grpc', 'connect'] as const) {
      const authed = createRpcClient(WorkerService, {
        baseUrl: worker.url,
        protocol,
        tls: client({ ...ca, ...withCert }),
      });
      expect((await authed.describe({})).kind).toBe(TaskKind.BACKEND);
      const anonymous = createRpcClient(WorkerService, {
        baseUrl: worker.url,
        protocol,
        tls: client(ca),
        maxRetries: 0,
      });
      await expect(anonymous.describe({})).rejects.toThrow(
        /certificate|socket hang up|ECONNRESET/i,
      );
    }
  });
});

describe('TLS settings', () => {
  const fault = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('no ConfigError');
  };

  it('stops on a missing file, a non-PEM file, half a pair and a key of another certificate', () => {
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    const read = (env: Record<string, string>) => serverTls(loadConfig(tlsServerSettings, env));
    expect(
      fault(() =>
        read({ CODEFRAME_TLS_CERT: join(dir, 'nope.pem'), CODEFRAME_TLS_KEY: certs.serverKey }),
      ),
    ).toMatch(/^CODEFRAME_TLS_CERT=".*nope.pem" cannot be read \(ENOENT\)$/);
    expect(
      fault(() => read({ CODEFRAME_TLS_CERT: notPem, CODEFRAME_TLS_KEY: certs.serverKey })),
    ).toMatch(/CODEFRAME_TLS_CERT=.* is not a PEM file/);
    expect(fault(() => read({ CODEFRAME_TLS_CERT: certs.serverCert }))).toBe(
      'CODEFRAME_TLS_CERT is set but CODEFRAME_TLS_KEY is not: give both or neither',
    );
    expect(
      fault(() =>
        read({ CODEFRAME_TLS_CERT: certs.serverCert, CODEFRAME_TLS_KEY: certs.clientKey }),
      ),
    ).toMatch(/^CODEFRAME_TLS_KEY \(.*\) is not the key of CODEFRAME_TLS_CERT/);
    expect(fault(() => read({ CODEFRAME_TLS_CLIENT_CA: certs.ca }))).toMatch(
      /client certificates need TLS/,
    );
    expect(
      fault(() =>
        client({
          CODEFRAME_TLS_CLIENT_CERT: certs.clientCert,
          CODEFRAME_TLS_CLIENT_KEY: certs.serverKey,
        }),
      ),
    ).toMatch(/CODEFRAME_TLS_CLIENT_KEY .* is not the key of CODEFRAME_TLS_CLIENT_CERT/);
  });
});
