import { join } from 'node:path';
import type { ServiceProcess } from '@codeframe/testkit';
import { BENCH_DIST } from './bench-child.js';
import { PROBE_MESSAGE } from './probe-message.js';

// The bench's side of event-loop-probe.ts: the environment that loads it into a service,
// and a reading of it (which also starts the next measurement window).

export interface ProbeReading {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  spawns: number;
  /** Time spawn() held the event loop, summed. */
  spawnMs: number;
  /** Of `spawns`, those CodeFRAME's launcher started from its own thread, and the time
   * spawn() held that thread (not the loop). */
  threadSpawns: number;
  threadSpawnMs: number;
  /** With `logSpawns`: [epoch ms, command line] of each process started. */
  spawnLog?: [number, string][];
  rssBytes: number;
}

/**
 * NODE_OPTIONS that load the probe (with whatever NODE_OPTIONS the bench itself has);
 * `logSpawns` also has it record every process the service starts.
 */
export function probeEnv(logSpawns = false): Record<string, string> {
  const probe = join(BENCH_DIST, 'harness/event-loop-probe.js');
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${probe}`.trim(),
    ...(logSpawns ? { BENCH_PROBE_SPAWNS: '1' } : {}),
  };
}

/** Asks the service's probe for what it measured since the last reading. */
export async function readProbe(service: ServiceProcess): Promise<ProbeReading> {
  const seen = service.logs.length;
  process.kill(service.child.pid!, 'SIGUSR2');
  const line = await service.waitForLog(
    (l) => l.msg === PROBE_MESSAGE && service.logs.indexOf(l) >= seen,
    10_000,
  );
  return line as unknown as ProbeReading;
}
