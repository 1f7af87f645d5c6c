import { type Health, HealthCheckResponse_ServingStatus as Status } from '@codeframe/proto';
import type { ServiceImpl } from '@connectrpc/connect';
import { Code, ConnectError } from '@connectrpc/connect';

export { Status as ServingStatus };

/**
 * Serving status per service name ("" is the server as a whole), as grpc.health.v1
 * reports it. Watchers see every change; on shutdown they see NOT_SERVING and their
 * streams end.
 */
export class HealthStatus {
  readonly #statuses = new Map<string, Status>();
  readonly #listeners = new Set<() => void>();
  #closed = false;

  constructor(serviceNames: readonly string[]) {
    this.#statuses.set('', Status.SERVING);
    for (const name of serviceNames) this.#statuses.set(name, Status.SERVING);
  }

  get(service: string): Status | undefined {
    return this.#statuses.get(service);
  }

  set(service: string, status: Status): void {
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    this.#notify();
  }

  /** Marks everything NOT_SERVING and ends every watch. */
  shutdown(): void {
    for (const name of this.#statuses.keys()) this.#statuses.set(name, Status.NOT_SERVING);
    this.#closed = true;
    this.#notify();
  }

  /** Yields the current status, then each change, until the signal aborts or shutdown. */
  async *watch(service: string, signal: AbortSignal): AsyncGenerator<Status> {
    let last: Status | undefined;
    while (!signal.aborted) {
      const changed = this.#nextChange(signal);
      const now = this.#statuses.get(service) ?? Status.SERVICE_UNKNOWN;
      if (now !== last) {
        last = now;
        yield now;
      }
      if (this.#closed) return;
      await changed;
    }
  }

  #nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#listeners.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#listeners.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

/** The grpc.health.v1.Health implementation over a HealthStatus. */
export function healthService(health: HealthStatus): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = health.get(req.service);
      if (status === undefined) {
        throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      }
      return { status };
    },
    async *watch(req, ctx) {
      for await (const status of health.watch(req.service, ctx.signal)) yield { status };
    },
  };
}
