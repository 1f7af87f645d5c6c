import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@codeframe/testkit';
import { trackChild } from './child-registry.js';

// A bench process of our own (load generator, broadcaster, synthetic lead or worker),
// forked from tools/bench/dist and driven by request/reply messages over its IPC channel.

/** The built bench, where forked entry points live (also when a spec runs from src/). */
export const BENCH_DIST = join(WORKSPACE_ROOT, 'tools/bench/dist');

type ReplyBody = { ok: true; value: unknown } | { ok: false; error: string };
type Reply = ReplyBody & { id: number };
type Request = { id: number; cmd: string; args: unknown };

export class BenchChild {
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  readonly exited: Promise<unknown>;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: Reply) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(new Error(`${name}: ${message.error}`));
    });
    this.exited = once(child, 'exit');
    void this.exited.then(() => {
      for (const pending of this.#pending.values()) {
        pending.reject(new Error(`${name} exited (code ${child.exitCode ?? child.signalCode})`));
      }
      this.#pending.clear();
    });
  }

  /** Forks `entry` (relative to tools/bench/dist) and waits for its "ready" reply. */
  static async start(
    entry: string,
    args: string[] = [],
    env: Record<string, string> = {},
  ): Promise<BenchChild> {
    const child = trackChild(
      fork(join(BENCH_DIST, entry), args, {
        execArgv: [],
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const bench = new BenchChild(entry, child);
    await bench.request('ready', {}, 20_000);
    return bench;
  }

  get pid(): number {
    return this.child.pid!;
  }

  request<T = unknown>(cmd: string, args: unknown = {}, timeoutMs = 120_000): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: no reply to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ id, cmd, args } satisfies Request);
    });
  }

  /** Ends the process: SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * The child side: answers each request with its handler's value. The process exits when
 * its parent goes away or sends SIGTERM, so nothing is left running.
 */
export function serveRequests(
  handlers: Record<string, (args: never) => unknown>,
  onStop: () => Promise<void> | void = () => {},
): void {
  const stop = () => {
    void Promise.resolve()
      .then(onStop)
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('message', (message: Request) => {
    const handler = message.cmd === 'ready' ? () => true : handlers[message.cmd];
    const reply = (r: ReplyBody) => process.send?.({ id: message.id, ...r });
    if (!handler) {
      reply({ ok: false, error: `unknown request ${message.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args as never))
      .then(
        (value) => reply({ ok: true, value }),
        (err: unknown) =>
          reply({ ok: false, error: err instanceof Error ? err.message : String(err) }),
      );
  });
}
