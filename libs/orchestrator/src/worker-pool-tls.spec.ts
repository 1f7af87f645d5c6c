// The lead's worker pool with TLS configured: bare addresses mean https, plain http is
// refused, and replicas found by DNS are verified against the name, not their address.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskKind, WorkerService } from '@codeframe/proto';
import { type RpcServer, startRpcServer } from '@codeframe/rpc';
import {
  ConfigError,
  loadConfig,
  serverTls,
  silentLogger,
  tlsConfigured,
  tlsServerSettings,
} from '@codeframe/runtime';
import { makeTestCerts } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from './worker-pool.js';

const dir = mkdtempSync(join(tmpdir(), 'pool-tls-'));
const certs = makeTestCerts(dir);

/** A TLS worker answering Describe, with a certificate for localhost and 127.0.0.1 only. */
function tlsWorker(host: string): Promise<RpcServer> {
  return startRpcServer({
    host,
    port: 0,
    logger: silentLogger,
    services: [WorkerService],
    authToken: undefined,
    shutdownGraceMs: 100,
    tls: serverTls(
      loadConfig(tlsServerSettings, {
        CODEFRAME_TLS_CERT: certs.serverCert,
        CODEFRAME_TLS_KEY: certs.serverKey,
      }),
    ),
    routes: (router) =>
      router.service(WorkerService, {
        describe: () => ({ kind: TaskKind.BACKEND, capacity: 1, toolchain: [], allowedHosts: [] }),
      }),
  });
}

const pool = (targets: string[], resolve?: (name: string) => Promise<string[]>) =>
  new WorkerPool({
    replicas: { [TaskKind.BACKEND]: targets },
    token: 'secret',
    tls: tlsConfigured(),
    logger: silentLogger,
    probeIntervalMs: 60_000,
    ...(resolve ? { resolve } : {}),
  });

describe('a worker pool with TLS configured', () => {
  let local: RpcServer;
  let other: RpcServer;
  const saved = process.env.CODEFRAME_TLS_CA;
  beforeAll(async () => {
    // The lead's clients verify with CODEFRAME_TLS_CA, as the lead's environment sets it.
    process.env.CODEFRAME_TLS_CA = certs.ca;
    local = await tlsWorker('127.0.0.1');
    // An address the certificate does not name: only its DNS name can verify it.
    other = await tlsWorker('127.0.0.2');
  });
  afterAll(async () => {
    await Promise.all([local?.close(), other?.close()]);
    if (saved === undefined) delete process.env.CODEFRAME_TLS_CA;
    else process.env.CODEFRAME_TLS_CA = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches a bare host:port over https', async () => {
    expect(tlsConfigured()).toBe(true);
    const p = pool([`127.0.0.1:${local.port}`]);
    await p.probe();
    expect(p.acquire(TaskKind.BACKEND)?.address).toBe(`127.0.0.1:${local.port}`);
  });

  it('refuses an explicit http:// address with one clear sentence', () => {
    expect(() => pool([`http://127.0.0.1:${local.port}`])).toThrow(ConfigError);
    expect(() => pool([`http://127.0.0.1:${local.port}`])).toThrow(
      `the worker address http://127.0.0.1:${local.port} is plain http but TLS is configured`,
    );
  });

  it('verifies a replica found by dns:///localhost:PORT against "localhost", not its address', async () => {
    const p = pool([`dns:///localhost:${other.port}`], async (name) => {
      expect(name).toBe('localhost');
      return ['127.0.0.2'];
    });
    await p.resolve();
    await p.probe();
    expect(p.acquire(TaskKind.BACKEND)?.address).toBe(`127.0.0.2:${other.port}`);
  });

  it('refuses the same replica by its address, which the certificate does not name', async () => {
    const p = pool([`127.0.0.2:${other.port}`]);
    await p.probe();
    expect(p.replicasOf(TaskKind.BACKEND).map((r) => r.healthy)).toEqual([false]);
    expect(p.acquire(TaskKind.BACKEND)).toBeUndefined();
  });

  it('finds localhost with the system resolver and verifies it over TLS', async () => {
    const p = pool([`dns:///localhost:${local.port}`]);
    await p.resolve();
    await p.probe();
    expect(p.acquire(TaskKind.BACKEND)?.address).toBe(`127.0.0.1:${local.port}`);
  });
});
