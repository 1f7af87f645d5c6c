import { isIP } from 'node:net';
import {
  type DescribeResponse,
  TaskEventSchema,
  TaskKind,
  type Tool,
  WorkerService,
} from '@codeframe/proto';
import { createRpcTransport, keepingReceivedEncodings } from '@codeframe/rpc';
import type { Logger } from '@codeframe/runtime';
import { type Client, createClient } from '@connectrpc/connect';
import {
  addressOf,
  parseTarget,
  type ResolveName,
  resolveName,
  targetName,
  type WorkerTarget,
  workerUrl,
} from './worker-targets.js';

/** One worker replica as the lead sees it. */
export interface Replica {
  readonly address: string;
  readonly kind: TaskKind;
  readonly client: Client<typeof WorkerService>;
  /** What it reported in Describe; 0 until it answered once. */
  capacity: number;
  /** Tasks the lead has running on it now. */
  load: number;
  healthy: boolean;
  /** What its sandboxed commands can run and reach, as it last reported. */
  toolchain: Tool[];
  allowedHosts: string[];
  /** Gone from its DNS name: given no more tasks, dropped once its last one ends. */
  retired?: boolean;
}

export interface WorkerPoolOptions {
  /** host:port of each replica, or a DNS name of many (`dns:///name:port`), by kind. */
  replicas: Partial<Record<TaskKind, readonly (WorkerTarget | string)[]>>;
  /** How DNS targets are looked up (a test's own; the system's by default). */
  resolve?: ResolveName;
  token: string | undefined;
  /** Whether TLS is configured (tlsConfigured()): bare addresses are then https, and a
   * DNS target's replicas verify their certificate against its name. */
  tls?: boolean;
  logger: Logger;
  /** How often replicas are asked Describe (which doubles as the health probe), and DNS
   * names looked up again. */
  probeIntervalMs: number;
}

interface KindTarget {
  kind: TaskKind;
  target: WorkerTarget;
  /** Why its last lookup failed, logged once until one succeeds. */
  failing?: string;
}

/**
 * The worker replicas of each kind: balanced by the capacity each reports in Describe,
 * taken out of rotation when a call to them breaks, and probed back in.
 */
export class WorkerPool {
  #replicas: Replica[] = [];
  readonly #targets: KindTarget[];
  readonly #logger: Logger;
  readonly #downLogged = new WeakSet<Replica>();
  /** The DNS target each replica it found came from; static replicas have none. */
  readonly #foundBy = new WeakMap<Replica, KindTarget>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerPoolOptions) {
    this.#logger = options.logger;
    this.#targets = Object.entries(options.replicas).flatMap(([kind, targets]) =>
      (targets ?? []).map((target) => ({
        kind: Number(kind) as TaskKind,
        target: typeof target === 'string' ? parseTarget('replicas', target) : target,
      })),
    );
    for (const { kind, target } of this.#targets) {
      if (target.kind === 'static') this.#replicas.push(this.#replica(kind, target.address));
    }
  }

  /** `servername`: the DNS name a found replica's certificate must be for (not its address). */
  #replica(kind: TaskKind, address: string, servername?: string): Replica {
    return {
      address,
      kind,
      // The events of a task's stream keep their payloads' bytes, which the store copies.
      client: createClient(
        WorkerService,
        keepingReceivedEncodings(
          createRpcTransport({
            baseUrl: workerUrl(address, this.options.tls ?? false),
            token: this.options.token,
            unaryTimeoutMs: 5_000,
            ...(servername && !isIP(servername) ? { servername } : {}),
          }),
          TaskEventSchema,
          'payload',
          [WorkerService.method.executeTask, WorkerService.method.executeTaskBatches],
        ),
      ),
      capacity: 0,
      load: 0,
      healthy: false,
      toolchain: [],
      allowedHosts: [],
    };
  }

  /** Looks every DNS target up: new addresses become replicas (in rotation once a probe
   * answers), vanished ones are retired. A failed lookup keeps what the last one found. */
  async resolve(): Promise<void> {
    const resolve = this.options.resolve ?? resolveName;
    await Promise.all(
      this.#targets.map(async (entry) => {
        const { target, kind } = entry;
        if (target.kind !== 'dns') return;
        let addresses: string[];
        try {
          addresses = (await resolve(target.name, target.server)).map((ip) =>
            addressOf(ip, target.port),
          );
        } catch (err) {
          const why = (err as Error).message;
          if (entry.failing !== why) {
            this.#logger.warn(
              { target: targetName(target), err: why },
              'could not look the workers up; keeping the replicas found before',
            );
          }
          entry.failing = why;
          return;
        }
        entry.failing = undefined;
        const found = new Set(addresses);
        const known = new Set(
          this.#replicas.filter((r) => r.kind === kind && !r.retired).map((r) => r.address),
        );
        for (const address of found) {
          if (known.has(address)) continue;
          const retired = this.#replicas.find((r) => r.kind === kind && r.address === address);
          if (retired) retired.retired = false;
          else this.#replicas.push(this.#replica(kind, address, target.name));
          this.#foundBy.set(retired ?? this.#replicas.at(-1)!, entry);
          this.#logger.info({ worker: address, target: targetName(target) }, 'worker found by DNS');
        }
        // Only what this name found can leave it (a static replica, or another name's, stays).
        for (const replica of this.#replicas) {
          if (this.#foundBy.get(replica) !== entry || replica.retired) continue;
          if (found.has(replica.address)) continue;
          replica.retired = true;
          this.#logger.info(
            { worker: replica.address, target: targetName(target), running: replica.load },
            'worker gone from DNS',
          );
        }
        this.#dropRetired();
      }),
    );
  }

  #dropRetired(): void {
    this.#replicas = this.#replicas.filter((r) => !r.retired || r.load > 0);
  }

  /** Looks DNS targets up and asks every replica Describe now, then every probeIntervalMs. */
  async start(): Promise<void> {
    const round = async () => {
      await this.resolve();
      await this.probe();
    };
    this.#timer = setInterval(() => void round(), this.options.probeIntervalMs);
    this.#timer.unref();
    await round();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async probe(): Promise<void> {
    await Promise.all(
      this.#replicas.map(async (replica) => {
        try {
          const res = await replica.client.describe({});
          if (res.kind !== replica.kind) {
            throw new Error(`it serves ${TaskKind[res.kind]} tasks, not ${TaskKind[replica.kind]}`);
          }
          this.#downLogged.delete(replica);
          if (!replica.healthy)
            this.#logger.info(
              { worker: replica.address, capacity: res.capacity },
              'worker in rotation',
            );
          replica.capacity = res.capacity;
          replica.toolchain = res.toolchain;
          replica.allowedHosts = res.allowedHosts;
          replica.healthy = true;
        } catch (err) {
          // Once per fall out of rotation (a replica never seen up is logged once too).
          if (replica.healthy || !this.#downLogged.has(replica)) {
            this.#downLogged.add(replica);
            this.#logger.warn(
              { worker: replica.address, err: (err as Error).message },
              'worker out of rotation',
            );
          }
          replica.healthy = false;
        }
      }),
    );
  }

  /** Takes a slot on the least-loaded healthy replica of the kind with room, if any. */
  acquire(kind: TaskKind): Replica | undefined {
    return this.#take((r) => r.kind === kind);
  }

  /** A slot of the kind when one has room, else of any kind (every kind runs the tests). */
  acquirePreferring(kind: TaskKind): Replica | undefined {
    return this.acquire(kind) ?? this.#take(() => true);
  }

  #take(fits: (replica: Replica) => boolean): Replica | undefined {
    const pool = this.#replicas.filter(
      (r) => fits(r) && r.healthy && !r.retired && r.load < r.capacity,
    );
    const best = pool.sort((a, b) => a.load / a.capacity - b.load / b.capacity)[0];
    if (best) best.load++;
    return best;
  }

  release(replica: Replica): void {
    replica.load = Math.max(0, replica.load - 1);
    if (replica.retired) this.#dropRetired();
  }

  /** The replicas of the kind now, in rotation or not (retired ones included). */
  replicasOf(kind: TaskKind): readonly Replica[] {
    return this.#replicas.filter((r) => r.kind === kind);
  }

  /** Out of rotation until a probe finds it answering again. */
  markDown(replica: Replica): void {
    replica.healthy = false;
  }

  /** What each kind's sandbox has, from its replicas' last Describe (healthy ones first). */
  sandboxes(): Pick<DescribeResponse, 'kind' | 'toolchain' | 'allowedHosts'>[] {
    const kinds = [...new Set(this.#targets.map((t) => t.kind))];
    return kinds.map((kind) => {
      const [replica] = this.#replicas
        .filter((r) => r.kind === kind && r.toolchain.length > 0)
        .sort((a, b) => Number(b.healthy) - Number(a.healthy));
      return {
        kind,
        toolchain: replica?.toolchain ?? [],
        allowedHosts: replica?.allowedHosts ?? [],
      };
    });
  }

  /** Whether any replica of the kind is configured at all (a DNS name counts, found or not). */
  serves(kind: TaskKind): boolean {
    return this.#targets.some((t) => t.kind === kind);
  }
}
