import { StringDecoder } from 'node:string_decoder';
import { launch } from '@codeframe/runtime';
import { recordCommand } from './sandbox-metrics.js';

// Runs one child process to its end: output capped, a time limit, cancellation, and the
// whole process group killed when it ends, times out or is cancelled. The sandbox builds
// the argv; this only runs it.

export type OutputStream = 'stdout' | 'stderr';

export interface ProcessOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Cap on stdout and stderr together; what comes after is drained and dropped. */
  maxOutputBytes: number;
  signal?: AbortSignal;
  onOutput?: (stream: OutputStream, chunk: string) => void;
  /** Lines the child writes on fd 3 (the sandbox supervisor's reports). */
  onStatusLine?: (line: string) => void;
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
  /** The sandbox limit that stopped the command, as a sentence. */
  limit?: string;
}

/** How long to wait for the output pipes after the command exits, if something holds them. */
const PIPE_GRACE_MS = 200;

/** Resolves when the process ended, timed out or was cancelled; rejects only when it could
 * not be started. */
export function runProcess(options: ProcessOptions): Promise<CommandResult> {
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
  if (options.signal?.aborted) return Promise.resolve(result({ cancelled: true }));

  const [file, ...args] = options.argv;
  // Its own process group, so one kill reaches all the command started.
  const child = launch(file!, args, {
    cwd: options.cwd,
    env: options.env,
    fd3: Boolean(options.onStatusLine),
  });
  child.stdout.on('data', (chunk: Buffer) => output.add('stdout', chunk));
  child.stderr.on('data', (chunk: Buffer) => output.add('stderr', chunk));
  const { status } = child;
  if (status && options.onStatusLine) {
    let pending = '';
    status.setEncoding('utf8');
    status.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line) options.onStatusLine?.(line);
    });
  }

  return new Promise((resolve, reject) => {
    let timedOut = false;
    let cancelled = false;
    const killGroup = () => child.killGroup('SIGKILL');
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

    child.once('error', (err: Error) => {
      stopWatching();
      killGroup();
      reject(new Error(`could not start ${file} to run the command: ${err.message}`));
    });
    child.once('exit', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      stopWatching();
      // Nothing the command left running in the background outlives it.
      killGroup();
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(grace);
        const ended = result({ exitCode, signal, timedOut, cancelled });
        recordCommand(ended);
        resolve(ended);
      };
      // A process that escaped the group may hold the pipes open; stop listening after a moment.
      const grace = setTimeout(() => {
        child.release();
        finish();
      }, PIPE_GRACE_MS);
      child.once('close', finish);
    });
  });
}

/**
 * Collects output within a byte budget shared by both streams: the first half of it as the
 * output came, and the last bytes in the other half, so an error printed at the end of a
 * long output is kept; a line in each stream says how much was dropped between them. The
 * first `maxBytes` go live to onOutput as they come (decoding UTF-8 safely).
 */
class CappedOutput {
  #headLeft: number;
  #streamLeft: number;
  readonly #tailMax: number;
  #tailSize = 0;
  readonly #head: Record<OutputStream, Buffer[]> = { stdout: [], stderr: [] };
  /** The latest chunks past the head, oldest first, within #tailMax bytes. */
  readonly #tail: { stream: OutputStream; bytes: Buffer }[] = [];
  readonly #dropped: Record<OutputStream, number> = { stdout: 0, stderr: 0 };
  readonly #decoders: Record<OutputStream, StringDecoder> = {
    stdout: new StringDecoder('utf8'),
    stderr: new StringDecoder('utf8'),
  };

  constructor(
    maxBytes: number,
    private readonly onOutput?: (stream: OutputStream, chunk: string) => void,
  ) {
    this.#headLeft = Math.ceil(maxBytes / 2);
    this.#streamLeft = maxBytes;
    this.#tailMax = Math.floor(maxBytes / 2);
  }

  add(stream: OutputStream, chunk: Buffer): void {
    const live = chunk.subarray(0, Math.max(0, this.#streamLeft));
    if (live.length > 0) {
      this.#streamLeft -= live.length;
      const text = this.#decoders[stream].write(live);
      if (text) this.onOutput?.(stream, text);
    }
    const kept = chunk.subarray(0, Math.max(0, this.#headLeft));
    if (kept.length > 0) {
      this.#headLeft -= kept.length;
      this.#head[stream].push(kept);
    }
    const rest = chunk.subarray(kept.length);
    if (rest.length > 0) this.#addTail(stream, rest);
  }

  #addTail(stream: OutputStream, bytes: Buffer): void {
    this.#tail.push({ stream, bytes });
    this.#tailSize += bytes.length;
    while (this.#tailSize > this.#tailMax) {
      const first = this.#tail[0]!;
      const over = this.#tailSize - this.#tailMax;
      const cut = Math.min(over, first.bytes.length);
      this.#dropped[first.stream] += cut;
      this.#tailSize -= cut;
      if (cut === first.bytes.length) this.#tail.shift();
      else first.bytes = first.bytes.subarray(cut);
    }
  }

  collected(): Pick<CommandResult, 'stdout' | 'stderr' | 'truncated'> {
    const text = (stream: OutputStream) => {
      const head = Buffer.concat(this.#head[stream]).toString('utf8');
      const tail = Buffer.concat(
        this.#tail.filter((t) => t.stream === stream).map((t) => t.bytes),
      ).toString('utf8');
      const dropped = this.#dropped[stream];
      const gap =
        dropped > 0
          ? `\n…[${dropped} bytes of ${stream} dropped here: the output passed its cap]…\n`
          : '';
      return `${head}${gap}${tail}`;
    };
    return {
      stdout: text('stdout'),
      stderr: text('stderr'),
      truncated: this.#dropped.stdout + this.#dropped.stderr > 0,
    };
  }
}
