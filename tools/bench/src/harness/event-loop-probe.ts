// Loaded into a service process with `node --import` (through NODE_OPTIONS) by the
// benchmarks that need to see inside it. It measures the event loop's delay, and counts
// the child processes the service starts with the time spawn() held the loop (Node returns
// from spawn only once the child has exec'd), and writes both as one JSON line on stdout,
// among the service's log lines, on SIGUSR2 (then starts over) and at exit. Children that
// CodeFRAME's launcher starts from its own thread are counted from the launcher's
// diagnostics channel; the time spawn() held that thread is reported apart.
import diagnostics from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { PROBE_MESSAGE } from './probe-message.js';

/** The sampling timer's period: a recorded interval beyond it is delay. */
const RESOLUTION_MS = 10;

const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

let spawns = 0;
let spawnMs = 0;
let threadSpawns = 0;
let threadSpawnMs = 0;
/** With BENCH_PROBE_SPAWNS=1: when each process started (epoch ms) and its command line. */
const logSpawns = process.env.BENCH_PROBE_SPAWNS === '1';
let spawnLog: [number, string][] = [];
const { ChildProcess } = createRequire(import.meta.url)('node:child_process') as {
  ChildProcess: { prototype: { spawn(options: unknown): unknown } };
};
const spawn = ChildProcess.prototype.spawn;
ChildProcess.prototype.spawn = function (this: unknown, options: unknown) {
  const started = performance.now();
  if (logSpawns) {
    const { file, args } = options as { file?: string; args?: string[] };
    spawnLog.push([Date.now(), `${file} ${(args ?? []).slice(1).join(' ')}`.slice(0, 2_000)]);
  }
  try {
    return spawn.call(this, options);
  } finally {
    spawns++;
    spawnMs += performance.now() - started;
  }
};

/** The launcher's channel (libs/runtime process-launcher.ts, SPAWN_CHANNEL). */
diagnostics.subscribe('codeframe:spawn', (message) => {
  const { file, args, ms, thread } = message as {
    file: string;
    args: string[];
    ms: number;
    thread: boolean;
  };
  // Children started on the loop's thread were counted by the spawn() hook already.
  if (!thread) return;
  spawns++;
  threadSpawns++;
  threadSpawnMs += ms;
  if (logSpawns) spawnLog.push([Date.now(), `${file} ${args.join(' ')}`.slice(0, 2_000)]);
});

function report(reason: string): void {
  const delay = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
  const memory = process.memoryUsage();
  process.stdout.write(
    `${JSON.stringify({
      msg: PROBE_MESSAGE,
      reason,
      samples: histogram.count,
      p50Ms: delay(histogram.percentile(50)),
      p99Ms: delay(histogram.percentile(99)),
      maxMs: delay(histogram.max),
      meanMs: delay(histogram.mean),
      spawns,
      spawnMs: Math.round(spawnMs),
      threadSpawns,
      threadSpawnMs: Math.round(threadSpawnMs),
      ...(logSpawns ? { spawnLog } : {}),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
    })}\n`,
  );
  histogram.reset();
  spawns = 0;
  spawnMs = 0;
  threadSpawns = 0;
  threadSpawnMs = 0;
  spawnLog = [];
}

process.on('SIGUSR2', () => report('SIGUSR2'));
process.on('exit', () => report('exit'));
