import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { startFakeAnthropic } from '@codeframe/fake-anthropic';
import { ExecuteTaskRequestSchema, TaskKind, TaskOutcome, WorkerService } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import { seedBareRepo, startServiceProcess } from '@codeframe/testkit';
import { trackChild } from '../harness/child-registry.js';
import { probeEnv, readProbe } from '../harness/probe-reading.js';
import { processBreakdown } from '../harness/process-breakdown.js';
import { PhaseMeter, round, sampleProcess } from '../harness/process-stats.js';
import { type BrainCall, fixedLatencyBrain } from '../orchestration/fixed-latency-brain.js';

// Worker concurrency: one worker process runs 50, 100, 200 tasks at once against a slow
// model. The event loop's delay is measured inside it (a preload, see
// harness/event-loop-probe.ts), with the child processes it starts and the time spawn()
// held its loop; memory per task is its RSS at the peak over its RSS when idle.

export interface WorkerConcurrencyParams {
  tasks: number[];
  modelLatencyMs: number;
  toolCalls: number;
  timeoutMs: number;
}

export interface WorkerConcurrencyRow {
  tasks: number;
  completed: number;
  failed: number;
  makespanMs: number;
  /** The model's own time for one task: what the makespan would be with no overhead. */
  modelMsPerTask: number;
  loopDelay: { p50Ms: number; p99Ms: number; maxMs: number; meanMs: number; samples: number };
  /** Child processes (git, bubblewrap) per task, and the time spawn() held the loop per task. */
  spawnsPerTask: number;
  spawnBlockedMsPerTask: number;
  /** Time spawn() held the launcher's thread per task, off the event loop. */
  threadSpawnMsPerTask: number;
  /** The processes per task by what they ran (`git fetch`, `bwrap`), most first. */
  processesPerTask: Record<string, number>;
  idleRssMb: number;
  peakRssMb: number;
  memoryPerTaskKb: number;
  /** % of one core over the run: the worker alone, and with its git and test processes. */
  cpu: {
    worker: number;
    workerWithChildren: number;
    bench: number;
    machine: number;
    other: number;
  };
}

export interface WorkerConcurrencyResult {
  params: WorkerConcurrencyParams;
  rows: WorkerConcurrencyRow[];
}

export async function runWorkerConcurrency(
  params: WorkerConcurrencyParams,
  log: (line: string) => void = () => {},
): Promise<WorkerConcurrencyResult> {
  const rows: WorkerConcurrencyRow[] = [];
  for (const tasks of params.tasks) {
    log(`worker concurrency: ${tasks} tasks at once on one worker`);
    rows.push(await measure(tasks, params));
  }
  return { params, rows };
}

async function measure(tasks: number, params: WorkerConcurrencyParams) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-worker-'));
  const calls: BrainCall[] = [];
  const fake = await startFakeAnthropic({
    brain: fixedLatencyBrain(params.modelLatencyMs, params.toolCalls, calls),
  });
  const worker = await startServiceProcess({
    entry: 'services/worker-backend/dist/main.js',
    env: {
      ANTHROPIC_BASE_URL: fake.url,
      CODEFRAME_WORK_DIR: join(dir, 'work'),
      CODEFRAME_WORKER_CAPACITY: String(Math.max(256, tasks)),
      CODEFRAME_SHUTDOWN_GRACE_MS: '1000',
      ...probeEnv(true),
    },
  });
  trackChild(worker.child);
  const pid = worker.child.pid!;
  try {
    const repoUrl = `file://${seedBareRepo(dir)}`;
    const client = createRpcClient(WorkerService, { baseUrl: `http://127.0.0.1:${worker.port}` });
    const run = async (id: string) => {
      const request = create(ExecuteTaskRequestSchema, {
        projectId: 'bench',
        task: { id, key: id, title: `Task ${id}`, kind: TaskKind.BACKEND },
        repoUrl,
        baseRef: 'main',
      });
      let outcome = TaskOutcome.UNSPECIFIED;
      for await (const event of client.executeTask(request, {
        signal: AbortSignal.timeout(params.timeoutMs),
      })) {
        if (event.payload.case === 'result') outcome = event.payload.value.outcome;
      }
      return outcome;
    };
    // One task first, so the mirror exists and the code paths are warm before measuring.
    await run('warm-up');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const idle = sampleProcess(pid);
    await readProbe(worker);
    const meter = new PhaseMeter({ worker: pid, bench: process.pid });
    const started = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: tasks }, (_, i) =>
        run(`task-${String(i + 1).padStart(3, '0')}`).catch(() => TaskOutcome.UNSPECIFIED),
      ),
    );
    const makespanMs = Date.now() - started;
    const usage = meter.stop();
    const delay = await readProbe(worker);
    const idleRss = idle?.rssBytes ?? 0;
    const peakRss = (usage.worker?.peakRssMb ?? 0) * 2 ** 20;
    const completed = outcomes.filter((o) => o === TaskOutcome.COMPLETED).length;
    return {
      tasks,
      completed,
      failed: tasks - completed,
      makespanMs,
      modelMsPerTask: (params.toolCalls + 1) * params.modelLatencyMs,
      loopDelay: {
        p50Ms: delay.p50Ms,
        p99Ms: delay.p99Ms,
        maxMs: delay.maxMs,
        meanMs: delay.meanMs,
        samples: delay.samples,
      },
      spawnsPerTask: round(delay.spawns / tasks, 1),
      spawnBlockedMsPerTask: round(delay.spawnMs / tasks, 1),
      threadSpawnMsPerTask: round(delay.threadSpawnMs / tasks, 1),
      processesPerTask: processBreakdown(delay.spawnLog ?? [], tasks),
      idleRssMb: round(idleRss / 2 ** 20, 1),
      peakRssMb: round(peakRss / 2 ** 20, 1),
      memoryPerTaskKb: Math.round((peakRss - idleRss) / 1024 / tasks),
      cpu: {
        worker: usage.worker?.cpuPercent ?? 0,
        workerWithChildren: usage.worker?.cpuWithChildrenPercent ?? 0,
        bench: usage.bench?.cpuPercent ?? 0,
        machine: usage.machine?.cpuPercent ?? 0,
        other: usage.other?.cpuPercent ?? 0,
      },
    } satisfies WorkerConcurrencyRow;
  } finally {
    await worker.stop();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}
