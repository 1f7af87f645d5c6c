import { spawn } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { StringDecoder } from 'node:string_decoder';
import { Worker } from 'node:worker_threads';
import { env, loadConfig } from './config.js';
import { LAUNCHER_THREAD_SOURCE } from './launcher-thread.js';

// The one way CodeFRAME starts a child process (git, the sandbox): from a thread of its own
// (launcher-thread.ts), so the time spawn() holds its caller while the service forks is
// never the event loop's. Each child leads its own process group, its stdin is /dev/null,
// and killGroup() reaches everything it started, even when asked before it has started.

export const launcherSettings = {
  /** `off` starts children on the event loop's thread, as Node does by itself. */
  spawnThread: env.boolean('CODEFRAME_SPAWN_THREAD', true),
};

/** Published for each child started: `{ file, args, ms, thread }` (ms: how long spawn() held
 * the thread it ran on). The benchmarks' probe counts processes with it. */
export const SPAWN_CHANNEL = 'codeframe:spawn';
const spawned = diagnostics.channel(SPAWN_CHANNEL);

export interface LaunchOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** A pipe on fd 3 too (the sandbox supervisor's reports). */
  fd3?: boolean;
}

/** A child's output: `data` events with Buffers, or strings after setEncoding. */
export class OutputPipe extends EventEmitter {
  #decoder: StringDecoder | undefined;
  #stopped = false;

  setEncoding(encoding: 'utf8'): this {
    this.#decoder = new StringDecoder(encoding);
    return this;
  }

  /** No more `data` events, whatever the child still writes. */
  destroy(): void {
    this.#stopped = true;
  }

  /** @internal */
  deliver(chunk: Buffer): void {
    if (this.#stopped) return;
    this.emit('data', this.#decoder ? this.#decoder.write(chunk) : chunk);
  }
}

/**
 * A child being started or running. Events: `error` (it could not be started), `exit`
 * (code, signal) and then `close` (code, signal) once its pipes are closed; all its output
 * has been delivered by then.
 */
export interface LaunchedProcess extends EventEmitter {
  readonly stdout: OutputPipe;
  readonly stderr: OutputPipe;
  /** fd 3, with `fd3`. */
  readonly status: OutputPipe | undefined;
  /** Signals the child's whole process group; before the child started, as soon as it has. */
  killGroup(signal: NodeJS.Signals): void;
  /** Stops reading pipes that something the child left behind still holds open. */
  release(): void;
}

/** Starts `file` with `args`; see LaunchedProcess. */
export function launch(file: string, args: string[], options: LaunchOptions): LaunchedProcess {
  if (!loadConfig(launcherSettings).spawnThread) return new LocalProcess(file, args, options);
  thread ??= new LauncherThread();
  return thread.start(file, args, options);
}

let thread: LauncherThread | undefined;

class Launched extends EventEmitter implements LaunchedProcess {
  readonly stdout = new OutputPipe();
  readonly stderr = new OutputPipe();
  readonly status: OutputPipe | undefined;
  pid: number | undefined;
  #pendingKill: NodeJS.Signals | undefined;

  constructor(fd3: boolean | undefined) {
    super();
    this.status = fd3 ? new OutputPipe() : undefined;
  }

  pipe(fd: number): OutputPipe | undefined {
    return fd === 1 ? this.stdout : fd === 2 ? this.stderr : this.status;
  }

  started(pid: number | undefined): void {
    this.pid = pid;
    if (this.#pendingKill) this.killGroup(this.#pendingKill);
  }

  killGroup(signal: NodeJS.Signals): void {
    if (this.pid === undefined) {
      this.#pendingKill = signal;
      return;
    }
    try {
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is already gone
    }
  }

  release(): void {
    for (const pipe of [this.stdout, this.stderr, this.status]) pipe?.destroy();
  }
}

/** Started on this thread (CODEFRAME_SPAWN_THREAD=off). */
class LocalProcess extends Launched {
  readonly #child;

  constructor(file: string, args: string[], options: LaunchOptions) {
    super(options.fd3);
    const started = performance.now();
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', options.fd3 ? 'pipe' : 'ignore'],
    });
    this.#child = child;
    const ms = performance.now() - started;
    child.once('spawn', () => {
      this.started(child.pid);
      spawned.publish({ file, args, ms, thread: false });
    });
    for (const fd of options.fd3 ? [1, 2, 3] : [1, 2]) {
      const stream = child.stdio[fd] as NodeJS.ReadableStream;
      stream.on('error', () => {});
      stream.on('data', (chunk: Buffer) => this.pipe(fd)?.deliver(chunk));
    }
    child.once('error', (err) => this.emit('error', err));
    child.once('exit', (code, signal) => this.emit('exit', code, signal));
    child.once('close', (code, signal) => this.emit('close', code, signal));
  }

  override release(): void {
    super.release();
    for (const stream of this.#child.stdio) stream?.destroy();
  }
}

type ThreadMessage =
  | { type: 'spawned'; id: number; pid: number; ms: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'data'; id: number; fd: number; chunk: Uint8Array }
  | { type: 'exit' | 'close'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** A child started by the launcher thread. */
class ThreadProcess extends Launched {
  constructor(
    readonly id: number,
    readonly command: { file: string; args: string[] },
    private readonly owner: LauncherThread,
    fd3: boolean | undefined,
  ) {
    super(fd3);
  }

  override killGroup(signal: NodeJS.Signals): void {
    // Before the child started, the thread is asked to kill it as soon as it has.
    if (this.pid === undefined) this.owner.post({ type: 'kill', id: this.id, signal });
    super.killGroup(signal);
  }

  override release(): void {
    super.release();
    this.owner.post({ type: 'release', id: this.id });
    this.owner.forget(this.id);
  }
}

/** The thread that starts children, made on first use; it keeps the process alive only while
 * a child of it runs. */
class LauncherThread {
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #running = new Map<number, ThreadProcess>();

  start(file: string, args: string[], options: LaunchOptions): ThreadProcess {
    this.#worker ??= this.#create();
    const worker = this.#worker;
    const id = this.#nextId++;
    const child = new ThreadProcess(id, { file, args }, this, options.fd3);
    this.#running.set(id, child);
    if (this.#running.size === 1) worker.ref();
    const { cwd, env: childEnv, fd3 = false } = options;
    worker.postMessage({ type: 'spawn', id, file, args, cwd, env: childEnv, fd3 });
    return child;
  }

  post(message: object): void {
    this.#worker?.postMessage(message);
  }

  /** The child is no longer followed; the thread is let go when none is. */
  forget(id: number): void {
    if (this.#running.delete(id) && this.#running.size === 0) this.#worker?.unref();
  }

  #create(): Worker {
    const worker = new Worker(LAUNCHER_THREAD_SOURCE, { eval: true });
    worker.unref();
    worker.on('message', (message: ThreadMessage) => this.#receive(message));
    const lost = (why: string) => {
      if (this.#worker === worker) this.#worker = undefined;
      const running = [...this.#running.values()];
      this.#running.clear();
      for (const child of running) {
        child.emit('error', new Error(`the thread that starts processes stopped: ${why}`));
        child.emit('close', null, null);
      }
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`it exited with ${code}`));
    return worker;
  }

  #receive(message: ThreadMessage): void {
    const child = this.#running.get(message.id);
    if (!child) return;
    switch (message.type) {
      case 'spawned':
        child.started(message.pid);
        spawned.publish({ ...child.command, ms: message.ms, thread: true });
        return;
      case 'data': {
        const { chunk } = message;
        child.pipe(message.fd)?.deliver(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
        return;
      }
      case 'error':
        child.emit('error', new Error(message.message));
        // A child that never started has no pipes to wait for.
        if (child.pid === undefined) {
          this.forget(message.id);
          child.emit('close', null, null);
        }
        return;
      case 'exit':
        child.emit('exit', message.code, message.signal);
        return;
      case 'close':
        this.forget(message.id);
        child.emit('close', message.code, message.signal);
        return;
    }
  }
}
