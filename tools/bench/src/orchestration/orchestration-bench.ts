import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Event, LeadService, ProjectStatus } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import type { ServiceProcess } from '@codeframe/testkit';
import { startBenchCluster } from '../harness/bench-cluster.js';
import { type ProbeReading, readProbe } from '../harness/probe-reading.js';
import { PhaseMeter, round } from '../harness/process-stats.js';
import { seedBenchProject } from './bench-project.js';
import { type BrainCall, fixedLatencyBrain, layeredPrd } from './fixed-latency-brain.js';
import { type IdealBound, idealBound, layeredPlan } from './layered-plan.js';
import { preparationStarts, type Timeline, taskTimeline } from './task-timeline.js';

// Orchestration: a layered graph of tasks with a known critical path runs on K replicas of
// each worker kind against a model with a fixed latency per call. The makespan is set
// against the bound no scheduler can beat, and each task's overhead is split by phase.

export interface OrchestrationParams {
  tasks: number;
  layers: number;
  replicas: number;
  /** Slots per replica (CODEFRAME_WORKER_CAPACITY). */
  capacity: number;
  modelLatencyMs: number;
  /** Tool calls per task before finish; a task makes this many + 1 model calls. */
  toolCalls: number;
  timeoutMs: number;
}

export interface OrchestrationResult {
  params: OrchestrationParams;
  /** Whether merges were verified (the merge queue) before main took them. */
  verifyMain: boolean;
  /** Test runs of main-to-be that verified the merges (0 with verification off). */
  verificationRuns: number;
  ideal: IdealBound;
  makespanMs: number;
  /** Makespan over the ideal bound: 1 would be a perfect run. */
  ratio: number;
  tasksCompleted: number;
  projectStatus: string;
  timeline: Timeline;
  /** Model calls the fake answered, and how long they took on average. */
  modelCalls: number;
  modelCallMeanMs: number;
  /** % of one core over the run; workers with their git, sandbox and test processes. */
  cpu: Record<string, number>;
  peakRssMb: Record<string, number>;
  /** Inside the lead and the busiest worker: event-loop delay and time spawn() held it. */
  lead: LoopFigures;
  workers: LoopFigures;
}

export interface LoopFigures {
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  spawns: number;
  spawnBlockedMs: number;
  /** Of `spawns`, those started from the launcher's thread, off the loop. */
  threadSpawns: number;
}

export async function runOrchestration(
  params: OrchestrationParams,
  log: (line: string) => void = () => {},
  verifyMain = false,
): Promise<OrchestrationResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-orchestration-'));
  const calls: BrainCall[] = [];
  const brain = fixedLatencyBrain(params.modelLatencyMs, params.toolCalls, calls);
  log(
    `orchestration: ${params.tasks} tasks in ${params.layers} layers on ${params.replicas} replica(s) x ${params.capacity} slots per kind, verification ${verifyMain ? 'on' : 'off'}`,
  );
  const cluster = await startBenchCluster({
    dir,
    brain,
    replicas: params.replicas,
    capacity: params.capacity,
    probe: true,
    leadEnv: { CODEFRAME_VERIFY_MAIN: verifyMain ? 'on' : 'off' },
  });
  try {
    const client = createRpcClient(LeadService, { baseUrl: cluster.leadUrl });
    await waitForWorkers(cluster.lead, cluster.workers.length);
    const { project } = await client.createProject({
      prd: layeredPrd(params.tasks, params.layers),
      maxConcurrency: 1000,
    });
    const projectId = project!.id;
    seedBenchProject(project!.repoUrl);
    const tasks = (await client.planProject({ projectId })).tasks;
    calls.length = 0;
    const pids: Record<string, number> = {
      lead: cluster.lead.child.pid!,
      bench: process.pid,
      ...Object.fromEntries(cluster.workers.map((w, i) => [`worker${i + 1}`, w.child.pid!])),
    };
    const services = [cluster.lead, ...cluster.workers];
    await Promise.all(services.map(readProbe));
    const meter = new PhaseMeter(pids);
    await client.startProject({ projectId });
    const events = await collectEvents(client, projectId, params.timeoutMs);
    const usage = meter.stop();
    const [leadProbe, ...workerProbes] = await Promise.all(services.map(readProbe));
    const modelMs = (params.toolCalls + 1) * params.modelLatencyMs;
    const preparing = preparationStarts(workerProbes.map((r) => r.spawnLog ?? []));
    const timeline = taskTimeline(events, tasks, modelMs, preparing);
    const ideal = idealBound(
      layeredPlan(params.tasks, params.layers),
      modelMs,
      params.replicas * params.capacity,
    );
    const last = events.findLast((e) => e.payload.case === 'projectStatus');
    const status = last?.payload.case === 'projectStatus' ? last.payload.value.status : 0;
    const workerCpu = cluster.workers.reduce(
      (sum, _, i) => sum + (usage[`worker${i + 1}`]?.cpuWithChildrenPercent ?? 0),
      0,
    );
    // One run tests a batch; each task of it gets an event with the commit run on.
    const tested = new Set(
      events.flatMap((e) =>
        e.payload.case === 'mainVerified' && e.payload.value.taskId
          ? [e.payload.value.commitSha]
          : [],
      ),
    );
    return {
      params,
      verifyMain,
      verificationRuns: tested.size,
      ideal,
      makespanMs: timeline.makespanMs,
      ratio: ideal.idealMs ? round(timeline.makespanMs / ideal.idealMs, 2) : 0,
      tasksCompleted: timeline.tasksCompleted,
      projectStatus: ProjectStatus[status]?.toLowerCase() ?? 'unknown',
      timeline,
      modelCalls: calls.length,
      modelCallMeanMs: Math.round(
        calls.reduce((sum, c) => sum + c.endMs - c.startMs, 0) / Math.max(1, calls.length),
      ),
      cpu: {
        machine: usage.machine?.cpuPercent ?? 0,
        other: usage.other?.cpuPercent ?? 0,
        lead: usage.lead?.cpuPercent ?? 0,
        workers: round(workerCpu, 1),
        bench: usage.bench?.cpuPercent ?? 0,
      },
      peakRssMb: Object.fromEntries(
        Object.entries(usage)
          .filter(([name]) => name !== 'machine' && name !== 'other')
          .map(([name, u]) => [name, u.peakRssMb]),
      ),
      lead: loopFigures([leadProbe!]),
      workers: loopFigures(workerProbes),
    };
  } finally {
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The worst loop delay among the processes, and their spawns together. */
function loopFigures(readings: ProbeReading[]): LoopFigures {
  return {
    loopDelayP99Ms: Math.max(...readings.map((r) => r.p99Ms)),
    loopDelayMaxMs: Math.max(...readings.map((r) => r.maxMs)),
    spawns: readings.reduce((sum, r) => sum + r.spawns, 0),
    spawnBlockedMs: readings.reduce((sum, r) => sum + r.spawnMs, 0),
    threadSpawns: readings.reduce((sum, r) => sum + r.threadSpawns, 0),
  };
}

/** Waits until the lead has every replica in rotation, so the first pass can use them all. */
async function waitForWorkers(lead: ServiceProcess, count: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (lead.logs.filter((l) => l.msg === 'worker in rotation').length < count) {
    if (Date.now() > deadline)
      throw new Error(`the lead did not take all ${count} workers into rotation`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The project's whole log, up to its completed or failed status. */
async function collectEvents(
  client: ReturnType<typeof createRpcClient<typeof LeadService>>,
  projectId: string,
  timeoutMs: number,
): Promise<Event[]> {
  const events: Event[] = [];
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for await (const event of client.watchEvents({ projectId, afterSeq: 0n }, { signal })) {
      events.push(event);
      const p = event.payload;
      if (
        p.case === 'projectStatus' &&
        (p.value.status === ProjectStatus.COMPLETED || p.value.status === ProjectStatus.FAILED)
      ) {
        break;
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
    throw new Error(
      `the project did not finish within ${timeoutMs} ms (${events.length} events so far)`,
    );
  }
  return events;
}
