import { type DescribeResponse, TaskKind, type Tool, WorkerService } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import type { Logger } from '@codeframe/runtime';
import type { Client } from '@connectrpc/connect';

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
}

export interface WorkerPoolOptions {
  /** host:port of each replica, by kind. */
  replicas: Partial<Record<TaskKind, readonly string[]>>;
  token: string | undefined;
  logger: Logger;
  /** How often replicas are asked Describe (which doubles as the health probe). */
  probeIntervalMs: number;
}

/**
 * The worker replicas of each kind: balanced by the capacity each reports in Describe,
 * taken out of rotation when a call to them breaks, and probed back in.
 */
export class WorkerPool {
  readonly #replicas: Replica[];
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WorkerPoolOptions) {
    this.#logger = options.logger;
    this.#replicas = Object.entries(options.replicas).flatMap(([kind, addresses]) =>
      (addresses ?? []).map((address) => ({
        address,
        kind: Number(kind) as TaskKind,
        client: createRpcClient(WorkerService, {
          baseUrl: address.includes('://') ? address : `http://${address}`,
          token: options.token,
          unaryTimeoutMs: 5_000,
        }),
        capacity: 0,
        load: 0,
        healthy: false,
        toolchain: [],
        allowedHosts: [],
      })),
    );
  }

  /** Asks every replica Describe now, then every probeIntervalMs. */
  async start(): Promise<void> {
    this.#timer = setInterval(() => void this.probe(), this.options.probeIntervalMs);
    this.#timer.unref();
    await this.probe();
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
          if (replica.healthy || replica.capacity === 0) {
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
    const pool = this.#replicas.filter((r) => fits(r) && r.healthy && r.load < r.capacity);
    const best = pool.sort((a, b) => a.load / a.capacity - b.load / b.capacity)[0];
    if (best) best.load++;
    return best;
  }

  release(replica: Replica): void {
    replica.load = Math.max(0, replica.load - 1);
  }

  /** Out of rotation until a probe finds it answering again. */
  markDown(replica: Replica): void {
    replica.healthy = false;
  }

  /** What each kind's sandbox has, from its replicas' last Describe (healthy ones first). */
  sandboxes(): Pick<DescribeResponse, 'kind' | 'toolchain' | 'allowedHosts'>[] {
    const kinds = [...new Set(this.#replicas.map((r) => r.kind))];
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

  /** Whether any replica of the kind is configured at all. */
  serves(kind: TaskKind): boolean {
    return this.#replicas.some((r) => r.kind === kind);
  }
}
