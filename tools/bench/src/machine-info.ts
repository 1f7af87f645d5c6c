import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, release, totalmem } from 'node:os';
import { WORKSPACE_ROOT } from '@codeframe/testkit';
import { round, sampleMachine } from './harness/process-stats.js';

// What a result was measured on, so runs on different machines or commits are never
// mistaken for each other.

export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGiB: number;
  kernel: string;
  node: string;
  commit: string;
  /** Uncommitted changes in the work tree when the run started. */
  dirty: boolean;
  libraries: Record<string, string>;
}

export function machineInfo(): MachineInfo {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, { cwd: WORKSPACE_ROOT, encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  };
  const require = createRequire(import.meta.url);
  const version = (name: string) => {
    try {
      const path = require.resolve(`${name}/package.json`);
      return String(JSON.parse(readFileSync(path, 'utf8')).version);
    } catch {
      return 'unknown';
    }
  };
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    ramGiB: round(totalmem() / 2 ** 30, 1),
    kernel: `Linux ${release()}`,
    node: process.version,
    commit: git(['rev-parse', 'HEAD']) || 'unknown',
    dirty: git(['status', '--porcelain']) !== '',
    libraries: {
      'uWebSockets.js': version('uWebSockets.js'),
      ws: version('ws'),
      'socket.io': version('socket.io'),
    },
  };
}

/** What the machine was doing before a suite: how long it was waited for, how busy it was then. */
export interface Settling {
  waitedMs: number;
  busyPercent: number;
}

/**
 * Waits, up to `maxMs`, until the machine is less than `quietPercent` busy over half a second:
 * what the suite before left behind (processes exiting, sockets closing) is not counted
 * against the next one.
 */
export async function settle(quietPercent = 10, maxMs = 15_000): Promise<Settling> {
  const started = Date.now();
  for (;;) {
    const busyPercent = await backgroundLoad(500);
    const waitedMs = Date.now() - started;
    if (busyPercent < quietPercent || waitedMs >= maxMs) return { waitedMs, busyPercent };
  }
}

/** How busy the machine is without the bench, in % of all its cores, over `ms`. */
export async function backgroundLoad(ms = 2_000): Promise<number> {
  const from = sampleMachine();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const to = sampleMachine();
  return round((100 * (to.busy - from.busy)) / Math.max(1, to.total - from.total), 1);
}
