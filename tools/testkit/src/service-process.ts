import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { serviceNodeArgs } from '@codeframe/runtime';

export const WORKSPACE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** A JSON log line a service wrote. */
export type LogLine = Record<string, unknown> & { msg?: string; level?: number };

/** How long a service may take to log that it listens: a bound for a broken start, not a
 * timing (a worker probes its sandbox first, which takes 12-15 s on a loaded 2-core CI). */
const START_TIMEOUT_MS = 60_000;

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** The first port the service logged as listening on. */
  readonly port: number;
  /** Every port it logged, by the `listener` field of its "listening" lines ("rpc", "http", ...). */
  readonly ports: Readonly<Record<string, number>>;
  /** Parsed stdout lines so far. */
  readonly logs: LogLine[];
  /** Raw stderr so far. */
  stderr(): string;
  /** Sends the signal and resolves the exit code (or the signal that ended it). */
  stop(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals>;
  /** Resolves the exit code (or the signal that ended it) once the process exits. */
  exited(): Promise<number | NodeJS.Signals>;
  /** Resolves the next log line matching, waiting up to `ms`. */
  waitForLog(match: (line: LogLine) => boolean, ms?: number): Promise<LogLine>;
}

export interface StartOptions {
  /** Path of the built entry point, relative to the workspace root. */
  entry: string;
  env?: Record<string, string>;
  /** Node.js flags before the entry; by default those its package.json declares
   * (`serviceNodeArgs`). */
  nodeArgs?: string[];
  /** A network namespace to run it in (`ip netns exec`, as root): a host of its own. */
  netns?: string;
  /** How many "listening" lines to wait for (a service with two ports logs two). */
  listeners?: number;
  timeoutMs?: number;
}

/**
 * Starts a service as its own process on ephemeral ports and resolves once it logged
 * that it is listening. Logs are JSON lines on stdout (LOG_FORMAT=json).
 */
export async function startServiceProcess(options: StartOptions): Promise<ServiceProcess> {
  const nodeArgs = options.nodeArgs ?? serviceNodeArgs(options.entry, WORKSPACE_ROOT);
  const argv = [...nodeArgs, options.entry];
  // `ip netns exec` execs node in the namespace: the child is still node itself.
  const [command, args] = options.netns
    ? ['ip', ['netns', 'exec', options.netns, process.execPath, ...argv]]
    : [process.execPath, argv];
  const child = spawn(command, args, {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<(line: LogLine) => void>();
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  createInterface({ input: child.stdout! }).on('line', (text) => {
    let line: LogLine;
    try {
      line = JSON.parse(text) as LogLine;
    } catch {
      line = { msg: text };
    }
    logs.push(line);
    for (const waiter of [...waiters]) waiter(line);
  });
  const exited = once(child, 'exit').then(
    ([code, signal]) => (code ?? signal) as number | NodeJS.Signals,
  );

  const waitForLog = (match: (line: LogLine) => boolean, ms = 10_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const seen = logs.find(match);
      if (seen) return resolve(seen);
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching log line within ${ms} ms; stderr: ${stderr}`));
      }, ms);
      const check = (line: LogLine) => {
        if (!match(line)) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(line);
      };
      waiters.add(check);
      void exited.then((status) => {
        if (!waiters.has(check)) return;
        clearTimeout(timer);
        waiters.delete(check);
        reject(
          new Error(
            `${options.entry} exited (${status}) before logging it; last logs: ${logs
              .slice(-5)
              .map((l) => JSON.stringify(l))
              .join('\n')}; stderr: ${stderr}`,
          ),
        );
      });
    });

  const wanted = options.listeners ?? 1;
  const ports: Record<string, number> = {};
  let first: number | undefined;
  while (Object.keys(ports).length < wanted) {
    const line = await waitForLog(
      (l) => l.msg === 'listening' && !(String(l.listener ?? 'rpc') in ports),
      options.timeoutMs ?? START_TIMEOUT_MS,
    ).catch((err) => {
      child.kill('SIGKILL');
      throw err;
    });
    const port = Number(line.port);
    ports[String(line.listener ?? 'rpc')] = port;
    first ??= port;
  }

  return {
    child,
    port: first!,
    ports,
    logs,
    stderr: () => stderr,
    waitForLog,
    exited: () => exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs an entry point to completion; resolves its exit code, stdout and stderr. */
export async function runToExit(
  entry: string,
  env: Record<string, string>,
  options: { args?: string[]; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const nodeArgs = serviceNodeArgs(entry, WORKSPACE_ROOT);
  const child = spawn(process.execPath, [...nodeArgs, entry, ...(options.args ?? [])], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
  const [code] = await once(child, 'exit');
  clearTimeout(timer);
  return { code: code as number | null, stdout, stderr };
}
