import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { serviceNodeArgs } from '@codeframe/runtime';
import type { ServiceSpec } from './services.js';

/** A JSON log line of a service. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number; time?: string };

const KEPT_LINES = 20;

/**
 * One service run by the launcher, in its own process group so that the launcher, not the
 * terminal, decides when and how it stops. Its log lines are passed to `onLog`; the last
 * few are kept to explain a crash.
 */
export class ChildService {
  readonly ports: Record<string, number> = {};
  readonly exited: Promise<number | NodeJS.Signals>;
  readonly #child: ChildProcess;
  readonly #recent: string[] = [];
  readonly #listening: Promise<void>;

  constructor(
    readonly spec: ServiceSpec,
    cwd: string,
    env: Record<string, string>,
    started: ReadonlyMap<string, Readonly<Record<string, number>>>,
    onLog: (service: ChildService, line: LogLine) => void,
  ) {
    this.#child = spawn(process.execPath, [...serviceNodeArgs(spec.entry, cwd), spec.entry], {
      cwd,
      env: { ...process.env, ...env, ...spec.env(started), LOG_FORMAT: 'json' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.exited = once(this.#child, 'exit').then(
      ([code, signal]) => (code ?? signal) as number | NodeJS.Signals,
    );
    let resolveListening: () => void;
    this.#listening = new Promise((resolve) => {
      resolveListening = resolve;
    });
    const keep = (text: string) => {
      this.#recent.push(text);
      if (this.#recent.length > KEPT_LINES) this.#recent.shift();
    };
    createInterface({ input: this.#child.stdout! }).on('line', (text) => {
      keep(text);
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        line = { msg: text, level: 30 };
      }
      if (line.msg === 'listening') {
        this.ports[String(line.listener ?? 'rpc')] = Number(line.port);
        if (spec.listeners.every((name) => name in this.ports)) resolveListening();
      }
      onLog(this, line);
    });
    createInterface({ input: this.#child.stderr! }).on('line', (text) => {
      keep(text);
      onLog(this, { msg: text, level: 50 });
    });
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The last lines it wrote, stdout and stderr interleaved. */
  recentOutput(): string[] {
    return [...this.#recent];
  }

  /** Resolves once it logged every listener, rejects if it exits first. */
  async listening(): Promise<void> {
    await Promise.race([
      this.#listening,
      this.exited.then((status) => {
        throw new Error(`${this.spec.name} exited (${status}) before it was listening`);
      }),
    ]);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running && this.#child.pid) process.kill(-this.#child.pid, signal);
  }
}
