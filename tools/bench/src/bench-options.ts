import type { FanOutParams } from './fan-out/fan-out-bench.js';
import { FAN_OUT_SYSTEMS } from './fan-out/servers-under-test.js';
import type { OrchestrationParams } from './orchestration/orchestration-bench.js';
import type { PipelineParams } from './pipeline/pipeline-bench.js';
import type { PromptCacheParams } from './prompt-cache/prompt-cache-bench.js';
import type { SandboxParams } from './sandbox/sandbox-bench.js';
import type { WorkerConcurrencyParams } from './worker-concurrency/worker-concurrency-bench.js';

// The sizes of a run: the full one (about 10 minutes on 2 cores) and --quick (under 3).

export const SUITES = [
  'fan-out',
  'pipeline',
  'orchestration',
  'worker',
  'sandbox',
  'prompt-cache',
] as const;
export type Suite = (typeof SUITES)[number];

export interface BenchOptions {
  mode: 'full' | 'quick';
  suites: Suite[];
  outDir: string | undefined;
  fanOut: FanOutParams;
  pipeline: PipelineParams;
  orchestration: OrchestrationParams;
  worker: WorkerConcurrencyParams;
  sandbox: SandboxParams;
  promptCache: PromptCacheParams;
}

export const USAGE = `usage: npm run bench [-- [--quick] [--only ${SUITES.join(',')}] [--out <dir>]]

  --quick   smaller sizes: 1,000 clients, fewer tasks (under 3 minutes)
  --only    run only these suites (comma-separated)
  --out     where the JSON result goes (default tools/bench/results)`;

export function benchOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let suites: Suite[] = [...SUITES];
  let outDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      const names = (value ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !(SUITES as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) {
        throw new UsageError(
          `--only takes suites among ${SUITES.join(', ')}; got "${value ?? ''}"`,
        );
      }
      suites = names as Suite[];
    } else if (arg === '--out') {
      outDir = argv[++i];
      if (!outDir) throw new UsageError('--out needs a directory');
    } else if (arg === '--help' || arg === '-h') {
      throw new UsageError('');
    } else {
      throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  return { mode: quick ? 'quick' : 'full', suites, outDir, ...(quick ? QUICK : FULL) };
}

export class UsageError extends Error {
  override name = 'UsageError';
}

const FULL = {
  fanOut: {
    clients: [1_000, 5_000],
    systems: [...FAN_OUT_SYSTEMS],
    loadProcesses: 2,
    live: { eventsPerSecond: 20, seconds: 5 },
    burstSeconds: 5,
    drainTimeoutMs: 60_000,
  },
  pipeline: {
    browsers: 10,
    streams: [1, 4],
    burstSeconds: 5,
    live: { eventsPerSecond: 100, seconds: 5 },
    loadProcesses: 2,
    drainTimeoutMs: 60_000,
  },
  orchestration: {
    tasks: 200,
    layers: 10,
    replicas: 2,
    capacity: 4,
    modelLatencyMs: 1_000,
    toolCalls: 1,
    timeoutMs: 900_000,
  },
  worker: { tasks: [50, 100, 200], modelLatencyMs: 500, toolCalls: 2, timeoutMs: 600_000 },
  sandbox: { commands: 30, packages: ['express@4.21.2'] },
  promptCache: { turns: 10, timeoutMs: 300_000 },
} satisfies Omit<BenchOptions, 'mode' | 'suites' | 'outDir'>;

const QUICK = {
  fanOut: {
    ...FULL.fanOut,
    clients: [1_000],
    live: { eventsPerSecond: 20, seconds: 3 },
    burstSeconds: 3,
    drainTimeoutMs: 30_000,
  },
  pipeline: {
    ...FULL.pipeline,
    streams: [1],
    burstSeconds: 3,
    live: { eventsPerSecond: 100, seconds: 3 },
    drainTimeoutMs: 30_000,
  },
  orchestration: {
    ...FULL.orchestration,
    tasks: 24,
    layers: 3,
    replicas: 1,
    modelLatencyMs: 500,
    timeoutMs: 300_000,
  },
  worker: { ...FULL.worker, tasks: [30], timeoutMs: 300_000 },
  sandbox: { ...FULL.sandbox, commands: 10 },
  promptCache: FULL.promptCache,
} satisfies Omit<BenchOptions, 'mode' | 'suites' | 'outDir'>;
