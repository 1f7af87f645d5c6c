// Replicas of a kind found by DNS: every address of the name is one, new ones join the
// rotation, vanished ones get no more tasks and go once their last one ends.
import { TaskKind, WorkerService } from '@codeframe/proto';
import { type RpcServer, startRpcServer } from '@codeframe/rpc';
import { ConfigError, silentLogger } from '@codeframe/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from './worker-pool.js';
import { parseTarget } from './worker-targets.js';

/** A worker that answers Describe only, as a backend worker with room for one task. */
function fakeWorker(host: string, port: number): Promise<RpcServer> {
  return startRpcServer({
    host,
    port,
    logger: silentLogger,
    services: [WorkerService],
    authToken: undefined,
    shutdownGraceMs: 100,
    routes: (router) =>
      router.service(WorkerService, {
        describe: () => ({ kind: TaskKind.BACKEND, capacity: 1, toolchain: [], allowedHosts: [] }),
      }),
  });
}

describe('worker targets', () => {
  it('reads host:port and the DNS forms of gRPC target names', () => {
    const v = 'CODEFRAME_WORKERS_BACKEND';
    expect(parseTarget(v, '10.0.0.5:7101')).toEqual({ kind: 'static', address: '10.0.0.5:7101' });
    for (const entry of ['dns:///workers.example:7101', 'dns:workers.example:7101']) {
      expect(parseTarget(v, entry)).toEqual({ kind: 'dns', name: 'workers.example', port: 7101 });
    }
    expect(parseTarget(v, 'dns://10.96.0.10:53/workers.svc:7101')).toEqual({
      kind: 'dns',
      name: 'workers.svc',
      port: 7101,
      server: '10.96.0.10:53',
    });
    expect(parseTarget(v, 'dns:///[::1]:7101')).toEqual({ kind: 'dns', name: '::1', port: 7101 });
    for (const bad of [
      'dns:///workers.example',
      'dns:///workers.example:0',
      'dns:///workers.example:99999',
      'dns://resolver.example/workers:7101',
      'dns:///a/b:7101',
    ]) {
      expect(() => parseTarget(v, bad), bad).toThrow(ConfigError);
      expect(() => parseTarget(v, bad), bad).toThrow(`${v} has "${bad}"`);
    }
  });
});

describe('a worker pool on a DNS name', () => {
  const workers: RpcServer[] = [];
  let port: number;
  beforeAll(async () => {
    // Two replicas on one port, on two loopback addresses, as two pods behind one name.
    const first = await fakeWorker('127.0.0.2', 0);
    port = first.port;
    workers.push(first, await fakeWorker('127.0.0.3', port));
  });
  afterAll(() => Promise.all(workers.map((w) => w.close())));

  it('follows the name: new addresses join, vanished ones drain and go', async () => {
    let answer: string[] | Error = ['127.0.0.2'];
    const pool = new WorkerPool({
      replicas: { [TaskKind.BACKEND]: [`dns:///workers.test:${port}`] },
      token: undefined,
      logger: silentLogger,
      probeIntervalMs: 60_000,
      resolve: async (name) => {
        expect(name).toBe('workers.test');
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    const round = async () => {
      await pool.resolve();
      await pool.probe();
    };
    await round();
    expect(pool.serves(TaskKind.BACKEND)).toBe(true);
    const a = pool.acquire(TaskKind.BACKEND);
    expect(a?.address).toBe(`127.0.0.2:${port}`);
    expect(pool.acquire(TaskKind.BACKEND)).toBeUndefined(); // its one slot is taken

    answer = ['127.0.0.2', '127.0.0.3'];
    await round();
    const b = pool.acquire(TaskKind.BACKEND);
    expect(b?.address).toBe(`127.0.0.3:${port}`);
    pool.release(b!);

    // A failed lookup keeps the replicas found before.
    answer = new Error('queryA ETIMEOUT workers.test');
    await round();
    expect(pool.replicasOf(TaskKind.BACKEND).map((r) => r.address)).toHaveLength(2);

    // .2 leaves the name while it runs a task: no new task, gone once that one ends.
    answer = ['127.0.0.3'];
    await round();
    expect(pool.replicasOf(TaskKind.BACKEND).find((r) => r.address === a!.address)?.retired).toBe(
      true,
    );
    pool.release(a!);
    expect(pool.replicasOf(TaskKind.BACKEND).map((r) => r.address)).toEqual([`127.0.0.3:${port}`]);
    const c = pool.acquire(TaskKind.BACKEND);
    expect(c?.address).toBe(`127.0.0.3:${port}`);
  });

  it('retires only what a name found: two names of one kind keep their own', async () => {
    const answers: Record<string, string[]> = { a: ['127.0.0.2'], b: ['127.0.0.3'] };
    const pool = new WorkerPool({
      replicas: { [TaskKind.BACKEND]: [`dns:///a:${port}`, `dns:///b:${port}`] },
      token: undefined,
      logger: silentLogger,
      probeIntervalMs: 60_000,
      resolve: async (name) => answers[name] ?? [],
    });
    await pool.resolve();
    const live = () =>
      pool
        .replicasOf(TaskKind.BACKEND)
        .filter((r) => !r.retired)
        .map((r) => r.address)
        .sort();
    expect(live()).toEqual([`127.0.0.2:${port}`, `127.0.0.3:${port}`]);
    await pool.resolve(); // each name's lookup leaves the other's replica alone
    expect(live()).toEqual([`127.0.0.2:${port}`, `127.0.0.3:${port}`]);
    answers.a = [];
    await pool.resolve();
    expect(live()).toEqual([`127.0.0.3:${port}`]);
  });

  it('looks a real name up with the system resolver', async () => {
    const local = await fakeWorker('127.0.0.1', 0);
    try {
      const pool = new WorkerPool({
        replicas: { [TaskKind.BACKEND]: [`dns:///localhost:${local.port}`] },
        token: undefined,
        logger: silentLogger,
        probeIntervalMs: 60_000,
      });
      await pool.resolve();
      await pool.probe();
      const addresses = pool.replicasOf(TaskKind.BACKEND).map((r) => r.address);
      expect(addresses).toContain(`127.0.0.1:${local.port}`);
      expect(pool.acquire(TaskKind.BACKEND)?.address).toBe(`127.0.0.1:${local.port}`);
    } finally {
      await local.close();
    }
  });
});
