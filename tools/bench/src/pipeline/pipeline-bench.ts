import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAnthropic } from '@codeframe/fake-anthropic';
import { LeadService } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import { type ServiceProcess, startServiceProcess } from '@codeframe/testkit';
import { LoadGenerators } from '../browsers/load-generators.js';
import { BenchChild } from '../harness/bench-child.js';
import { trackChild } from '../harness/child-registry.js';
import { LatencyHistogram, type LatencySummary } from '../harness/latency-histogram.js';
import { PhaseMeter, round } from '../harness/process-stats.js';
import { type LeadWatcher, watchLead } from './lead-watcher.js';
import { pipelineBrain, pipelinePrd } from './pipeline-brain.js';
import type { BareStreamArgs, BareStreamStats } from './stream-client.js';
import type { StreamSpec } from './stream-spec.js';
import type { StreamReport } from './synthetic-worker.js';

// Pipeline: a synthetic worker streams stamped events through the real lead (persisted in
// SQLite, seq assigned, published) and the real edge to N browsers. Its ceiling is the same
// worker's stream read directly by one connect-node client: one hop, nothing stored.

export interface PipelineParams {
  browsers: number;
  /** Concurrent task streams (one task each) in the saturated runs. */
  streams: number[];
  burstSeconds: number;
  /** The paced run: one stream at this rate, for latency at an everyday load. */
  live: { eventsPerSecond: number; seconds: number };
  loadProcesses: number;
  drainTimeoutMs: number;
}

export interface PipelineRun {
  name: string;
  streams: number;
  spec: StreamSpec;
  events: number;
  /** Events each browser received, at least and at most. */
  receivedMin: number;
  receivedMax: number;
  outOfOrder: number;
  seconds: number;
  eventsPerSecond: number;
  latency: LatencySummary;
  /** The live run's events read from the lead by one gRPC watcher beside the edge. */
  leadWatcher?: LatencySummary;
  /** % of one core over the run. */
  cpu: Record<string, number>;
}

export interface PipelineResult {
  params: PipelineParams;
  runs: PipelineRun[];
  ceilings: PipelineRun[];
}

export async function runPipeline(
  params: PipelineParams,
  log: (line: string) => void = () => {},
): Promise<PipelineResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-'));
  const fake = await startFakeAnthropic({ brain: pipelineBrain });
  const worker = await BenchChild.start('pipeline/synthetic-worker.js');
  const services: ServiceProcess[] = [];
  let load: LoadGenerators | undefined;
  try {
    const { port: workerPort, url: workerUrl } = await worker.request<{
      port: number;
      url: string;
    }>('listen');
    const address = `127.0.0.1:${workerPort}`;
    const lead = await startServiceProcess({
      entry: 'services/lead/dist/main.js',
      env: {
        ANTHROPIC_BASE_URL: fake.url,
        CODEFRAME_DATA_DIR: join(dir, 'lead'),
        CODEFRAME_WORKERS_BACKEND: address,
        // Every kind must name a replica; the plans here hold backend tasks only.
        CODEFRAME_WORKERS_FRONTEND: address,
        CODEFRAME_WORKERS_TEST: address,
        CODEFRAME_WORKER_PROBE_MS: '200',
        CODEFRAME_SHUTDOWN_GRACE_MS: '1000',
        // The benchmarks' brains play engineers, not reviewers.
        CODEFRAME_REVIEW: 'off',
      },
    });
    services.push(lead);
    trackChild(lead.child);
    const leadUrl = `http://127.0.0.1:${lead.port}`;
    const edge = await startServiceProcess({
      entry: 'services/edge/dist/main.js',
      listeners: 2,
      env: { GRPC_PORT: '0', CODEFRAME_LEAD_URL: leadUrl, CODEFRAME_SHUTDOWN_GRACE_MS: '1000' },
    });
    services.push(edge);
    trackChild(edge.child);
    load = await LoadGenerators.start(params.loadProcesses);
    const client = createRpcClient(LeadService, { baseUrl: leadUrl });
    const pids = {
      worker: worker.pid,
      lead: lead.child.pid!,
      edge: edge.child.pid!,
      bench: process.pid,
      ...load.pids,
    };
    // The lead learns the worker's capacity from its first probe.
    await waitForWorkerInRotation(lead);

    const runs: PipelineRun[] = [];
    const ceilings: PipelineRun[] = [];
    const live: StreamSpec = {
      kind: 'rate',
      perSecond: params.live.eventsPerSecond,
      count: Math.round(params.live.eventsPerSecond * params.live.seconds),
    };
    const burst: StreamSpec = { kind: 'burst', seconds: params.burstSeconds };
    const plan: [string, number, StreamSpec][] = [
      ['live', 1, live],
      ...params.streams.map((s): [string, number, StreamSpec] => [`burst x${s}`, s, burst]),
    ];
    for (const [name, streams, spec] of plan) {
      log(`pipeline: ${name} through lead and edge to ${params.browsers} browsers`);
      const projectId = (
        await client.createProject({
          prd: pipelinePrd(streams, spec),
          maxConcurrency: streams,
        })
      ).project!.id;
      await load.connect(
        { host: '127.0.0.1', port: edge.ports.http!, protocol: 'edge', projectId },
        params.browsers,
      );
      await load.reset();
      await worker.request('reset');
      const meter = new PhaseMeter(pids);
      // At an everyday rate only: in a burst it would be one more consumer to keep up with.
      const watcher: LeadWatcher | undefined =
        spec.kind === 'rate' ? watchLead(leadUrl, projectId) : undefined;
      await client.startProject({ projectId });
      const reports = await waitForStreams(worker, streams, params.drainTimeoutMs);
      const produced = reports.reduce((sum, r) => sum + r.produced, 0);
      const totals = await load.waitForDelivery(produced * params.browsers, params.drainTimeoutMs);
      const usage = meter.stop();
      const leadWatcher = await watcher?.stop();
      const firstStampUs = Math.min(...reports.map((r) => r.firstStampUs));
      const seconds = Math.max(1e-6, (totals.lastReceiptUs - firstStampUs) / 1e6);
      runs.push({
        name,
        streams,
        spec,
        events: produced,
        receivedMin: totals.minPerClient,
        receivedMax: totals.maxPerClient,
        outOfOrder: totals.outOfOrder,
        seconds: round(seconds, 3),
        eventsPerSecond: Math.round(produced / seconds),
        latency: totals.latency.summary(),
        ...(leadWatcher ? { leadWatcher } : {}),
        cpu: Object.fromEntries(Object.entries(usage).map(([k, v]) => [k, v.cpuPercent])),
      });
      await load.disconnect();

      log(`pipeline: ${name}, ceiling: the bare connect-node stream`);
      const bare = await BenchChild.start('pipeline/stream-client.js');
      try {
        await worker.request('reset');
        const bareMeter = new PhaseMeter({
          worker: worker.pid,
          client: bare.pid,
          bench: process.pid,
        });
        const stats = await bare.request<BareStreamStats>(
          'run',
          { url: workerUrl, streams, spec } satisfies BareStreamArgs,
          params.drainTimeoutMs + 60_000,
        );
        const bareUsage = bareMeter.stop();
        const latency = new LatencyHistogram().merge(stats.histogram);
        const bareSeconds = Math.max(1e-6, (stats.lastReceiptUs - stats.firstStampUs) / 1e6);
        ceilings.push({
          name,
          streams,
          spec,
          events: stats.received,
          receivedMin: stats.received,
          receivedMax: stats.received,
          outOfOrder: 0,
          seconds: round(bareSeconds, 3),
          eventsPerSecond: Math.round(stats.received / bareSeconds),
          latency: latency.summary(),
          cpu: Object.fromEntries(Object.entries(bareUsage).map(([k, v]) => [k, v.cpuPercent])),
        });
      } finally {
        await bare.stop();
      }
    }
    return { params, runs, ceilings };
  } finally {
    await load?.stop();
    for (const service of services.reverse()) await service.stop();
    await worker.stop();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function waitForWorkerInRotation(lead: ServiceProcess): Promise<void> {
  await lead.waitForLog((line) => line.msg === 'worker in rotation', 10_000);
}

/** Waits until the worker ran `streams` streams to their end. */
async function waitForStreams(
  worker: BenchChild,
  streams: number,
  timeoutMs: number,
): Promise<StreamReport[]> {
  const deadline = Date.now() + timeoutMs + 60_000;
  for (;;) {
    const reports = await worker.request<StreamReport[]>('report');
    if (reports.length >= streams && reports.every((r) => r.done)) return reports;
    if (Date.now() > deadline) {
      throw new Error(
        `the lead ran ${reports.length} of ${streams} streams to their end within the time allowed`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
