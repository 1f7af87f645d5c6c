import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Health, HealthCheckResponse_ServingStatus as Status } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import { ChildService, type LogLine } from './child-service.js';
import { formatLogLine } from './console-log.js';
import { portIsFree } from './port-check.js';
import type { ServiceSpec } from './services.js';

export interface LauncherOptions {
  root: string;
  host: string;
  /** How the gRPC ports are reached: "https" when TLS is configured. */
  scheme: 'http' | 'https';
  specs: ServiceSpec[];
  /** Extra environment for every service. */
  env: Record<string, string>;
  /** Print debug lines of the services too. */
  verbose: boolean;
  color: boolean;
  out: (text: string) => void;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

/** Why the launcher could not bring the system up; the message is the sentence to print. */
export class LaunchError extends Error {}

/**
 * Runs the services as child processes: checks they are built and their ports free, starts
 * them in order, waits until each logged its addresses and answers its health check, and
 * stops them all (SIGTERM, then SIGKILL after a timeout).
 */
export class Launcher {
  readonly children: ChildService[] = [];
  #stopping = false;

  constructor(readonly options: LauncherOptions) {}

  async start(): Promise<void> {
    const { root, host, specs } = this.options;
    for (const spec of specs) {
      if (!existsSync(join(root, spec.entry))) {
        throw new LaunchError(
          `${spec.entry} is missing: run "npm run build" first (npm start builds it)`,
        );
      }
    }
    for (const spec of specs) {
      for (const { port, setting } of spec.ports) {
        if (port !== 0 && !(await portIsFree(host, port))) {
          throw new LaunchError(
            `port ${port} on ${host} (${spec.name}) is in use: stop what holds it, or set ${setting} to another port`,
          );
        }
      }
    }
    const started = new Map<string, Readonly<Record<string, number>>>();
    for (const spec of specs) {
      // Stopped while starting (Ctrl-C): start no more; stop() ends those already running.
      if (this.#stopping) throw new LaunchError('stopped while starting');
      const child = new ChildService(spec, root, this.options.env, started, (service, line) =>
        this.#print(service, line),
      );
      this.children.push(child);
      await this.#withTimeout(child.listening(), `${spec.name} did not start listening`);
      started.set(spec.name, child.ports);
    }
    // Services without a gRPC port (fake-anthropic) are ready once listening.
    for (const child of this.children.filter((c) => c.spec.listeners.includes('rpc'))) {
      await this.#withTimeout(this.#healthy(child), `${child.spec.name} did not report SERVING`);
    }
  }

  /** Resolves with the first child that exits while the launcher is not stopping. */
  async crashed(): Promise<ChildService> {
    return Promise.race(
      this.children.map(async (child) => {
        await child.exited;
        if (this.#stopping) return new Promise<ChildService>(() => {});
        return child;
      }),
    );
  }

  /** Stops every child: SIGTERM, then SIGKILL for any still running after the timeout. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const running = this.children.filter((c) => c.running);
    for (const child of running) child.signal('SIGTERM');
    const timeout = new Promise((resolve) =>
      setTimeout(resolve, this.options.stopTimeoutMs).unref(),
    );
    await Promise.race([Promise.all(running.map((c) => c.exited)), timeout]);
    for (const child of this.children) {
      if (child.running) {
        this.options.out(
          `${child.spec.name} did not stop within ${this.options.stopTimeoutMs} ms: killing it`,
        );
        child.signal('SIGKILL');
      }
    }
    await Promise.all(this.children.map((c) => c.exited));
  }

  /** Ends every child immediately (for the launcher's own unexpected exit). */
  killAll(): void {
    for (const child of this.children) child.signal('SIGKILL');
  }

  async #healthy(child: ChildService): Promise<void> {
    const port = child.ports.rpc;
    const health = createRpcClient(Health, {
      baseUrl: `${this.options.scheme}://${this.options.host}:${port}`,
    });
    const res = await health.check({});
    if (res.status !== Status.SERVING) {
      throw new LaunchError(`${child.spec.name} reports ${Status[res.status]}`);
    }
  }

  /** Once everything is up, info lines give way to the main job's output (but for --verbose). */
  quiet = false;

  #print(service: ChildService, line: LogLine): void {
    const threshold = this.options.verbose ? 0 : this.quiet ? 40 : 30;
    if ((line.level ?? 30) < threshold) return;
    const index = this.children.indexOf(service);
    this.options.out(formatLogLine(service.spec.name, index, line, this.options.color));
  }

  async #withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LaunchError(`${what} within ${this.options.startTimeoutMs} ms`)),
        this.options.startTimeoutMs,
      );
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
