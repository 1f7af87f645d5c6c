import { spawn } from 'node:child_process';
import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

// Every command the model runs goes through here. With bubblewrap it sees the whole file
// system read-only except its worktree, a private /tmp, no network and no capabilities; it
// and everything it starts die together when it exits, times out or is cancelled.

export type SandboxMode = 'bwrap' | 'none';
export type OutputStream = 'stdout' | 'stderr';

export interface CommandOptions {
  /** Run with /bin/sh -c. */
  command: string;
  /** The worktree: the working directory and the one place the command may write. */
  cwd: string;
  mode: SandboxMode;
  timeoutMs: number;
  /** Cap on stdout and stderr together; what comes after is drained and dropped. */
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** Added to the clean environment the command gets. */
  env?: Record<string, string>;
  /** Output as it arrives, within the same cap. */
  onOutput?: (stream: OutputStream, chunk: string) => void;
}

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
}

/** How long to wait for the output pipes after the command exits, if something holds them. */
const PIPE_GRACE_MS = 200;
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** The argv that runs `command` in `cwd`: bubblewrap around /bin/sh, or /bin/sh alone. */
export function sandboxArgv(mode: SandboxMode, command: string, cwd: string): string[] {
  const shell = ['/bin/sh', '-c', command];
  if (mode === 'none') return shell;
  if (!isAbsolute(cwd))
    throw new Error(`the sandbox needs an absolute worktree path, not "${cwd}"`);
  return [
    'bwrap',
    ...['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'],
    ...['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp'],
    ...['--bind', cwd, cwd, '--chdir', cwd],
    '--',
    ...shell,
  ];
}

/** The environment a command gets: none of the worker's own (its API keys stay its own). */
export function sandboxEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH || DEFAULT_PATH, HOME: '/tmp', LANG: 'C.UTF-8', ...extra };
}

/** Whether bubblewrap is installed and can create its namespaces here. */
export async function bwrapAvailable(): Promise<boolean> {
  try {
    const probe = { command: 'true', cwd: tmpdir(), timeoutMs: 10_000, maxOutputBytes: 4_096 };
    const result = await runCommand({ ...probe, mode: 'bwrap' });
    return result.exitCode === 0;
  } catch {
    return false;
  }
}

/** Runs `command` and resolves when it ended, timed out or was cancelled; never rejects for
 * a failing command, only when the sandbox itself cannot start. */
export async function runCommand(options: CommandOptions): Promise<CommandResult> {
  const started = performance.now();
  const output = new CappedOutput(options.maxOutputBytes, options.onOutput);
  const result = (fields: Partial<CommandResult>): CommandResult => ({
    exitCode: null,
    signal: null,
    ...output.collected(),
    timedOut: false,
    cancelled: false,
    durationMs: Math.round(performance.now() - started),
    ...fields,
  });
  if (options.signal?.aborted) return result({ cancelled: true });

  const cwd = await realpath(options.cwd).catch(() => {
    throw new Error(`cannot run the command: its worktree ${options.cwd} does not exist`);
  });
  const [file, ...args] = sandboxArgv(options.mode, options.command, cwd);
  // Detached: the command leads its own process group, so one kill reaches all it started.
  const child = spawn(file!, args, {
    cwd,
    env: sandboxEnv(options.env),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => output.add('stdout', chunk));
  child.stderr.on('data', (chunk: Buffer) => output.add('stderr', chunk));

  return new Promise((resolve, reject) => {
    let timedOut = false;
    let cancelled = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = () => {
      cancelled = true;
      killGroup();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const stopWatching = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };

    child.once('error', (err) => {
      stopWatching();
      killGroup();
      reject(new Error(`could not start ${file} to run the command: ${err.message}`));
    });
    child.once('exit', (exitCode, signal) => {
      stopWatching();
      // Nothing the command left running in the background outlives it.
      killGroup();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(grace);
        resolve(result({ exitCode, signal, timedOut, cancelled }));
      };
      // A process that escaped the group may hold the pipes open; stop listening after a moment.
      const grace = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, PIPE_GRACE_MS);
      child.once('close', finish);
    });
  });
}

/** Collects output up to a byte budget shared by both streams, decoding UTF-8 safely. */
class CappedOutput {
  #left: number;
  #truncated = false;
  readonly #chunks: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  readonly #decoders: Record<OutputStream, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };

  constructor(
    maxBytes: number,
    private readonly onOutput?: (stream: OutputStream, chunk: string) => void,
  ) {
    this.#left = maxBytes;
  }

  add(stream: OutputStream, chunk: Buffer): void {
    if (chunk.length > this.#left) this.#truncated = true;
    const kept = chunk.subarray(0, Math.max(0, this.#left));
    if (kept.length === 0) return;
    this.#left -= kept.length;
    this.#chunks[stream].push(kept);
    const text = this.#decoders[stream].write(kept);
    if (text) this.onOutput?.(stream, text);
  }

  collected(): Pick<CommandResult, 'stdout' | 'stderr' | 'truncated'> {
    return {
      stdout: Buffer.concat(this.#chunks.stdout).toString('utf8'),
      stderr: Buffer.concat(this.#chunks.stderr).toString('utf8'),
      truncated: this.#truncated,
    };
  }
}
