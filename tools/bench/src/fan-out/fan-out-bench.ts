import { serialiseEvent } from '@codeframe/events';
import { LoadGenerators } from '../browsers/load-generators.js';
import { BenchChild } from '../harness/bench-child.js';
import { monotonicMicros } from '../harness/bench-clock.js';
import type { LatencySummary } from '../harness/latency-histogram.js';
import { PhaseMeter, type ProcessSample, round, sampleProcess } from '../harness/process-stats.js';
import { stampedEvent } from '../harness/stamped-event.js';
import type { ProductionReport } from './event-source.js';
import { type FanOutSystem, startServerUnderTest } from './servers-under-test.js';

// Fan-out: the edge, ws, socket.io and raw uWS each follow the same synthetic lead and send
// every event to N clients. Two phases per system and N: "live" (a steady rate every system
// sustains: latency as a user feels it) and "burst" (as fast as the system takes events for
// a few seconds: how many messages a second it delivers when pushed).

export interface FanOutParams {
  clients: number[];
  systems: FanOutSystem[];
  loadProcesses: number;
  live: { eventsPerSecond: number; seconds: number };
  burstSeconds: number;
  /** How long delivery may take after publishing ended. */
  drainTimeoutMs: number;
  /** Pause before each memory reading, so connections and buffers settle. */
  settleMs?: number;
}

export interface CpuFigures {
  /** % of one core. */
  server: number;
  lead: number;
  /** All load generators together, and the busiest one. */
  loadTotal: number;
  loadMax: number;
  /** The whole machine, in % of all its cores (100 = both busy). */
  machine: number;
  /** % of one core spent outside the processes of the run: the kernel, other work. */
  other: number;
}

export interface PhaseFigures {
  events: number;
  expected: number;
  delivered: number;
  /** Delivered / expected, 1 when every client got every event. */
  completeness: number;
  outOfOrder: number;
  closedClients: number;
  seconds: number;
  messagesPerSecond: number;
  eventsPerSecond: number;
  /** The server's CPU time per message delivered, in µs: its cost apart from the machine's. */
  serverCpuUsPerMessage: number;
  latency: LatencySummary;
  cpu: CpuFigures;
}

export interface FanOutRow {
  system: FanOutSystem;
  clients: number;
  memory: {
    idleRssMb: number;
    /** With the first client connected and subscribed. */
    oneClientRssMb: number;
    connectedRssMb: number;
    /** RSS added by each client after the first. */
    perConnectionKb: number;
    /** RSS added by each client, counted from idle: with the first client's one-off costs. */
    perConnectionFromIdleKb: number;
  };
  live: PhaseFigures;
  burst: PhaseFigures;
  slowClientCloses?: number;
}

export interface FanOutResult {
  params: FanOutParams;
  payloadBytes: number;
  rows: FanOutRow[];
}

/** Bytes of one event's browser frame as the edge sends it. */
export function payloadBytes(): number {
  return Buffer.byteLength(
    serialiseEvent(stampedEvent('fanout-edge-1000', 12_345, monotonicMicros())),
  );
}

export async function runFanOut(
  params: FanOutParams,
  log: (line: string) => void = () => {},
): Promise<FanOutResult> {
  const lead = await BenchChild.start('fan-out/synthetic-lead.js');
  const load = await LoadGenerators.start(params.loadProcesses);
  const rows: FanOutRow[] = [];
  try {
    const { url: leadUrl } = await lead.request<{ url: string }>('listen');
    for (const clients of params.clients) {
      for (const system of params.systems) {
        log(`fan-out: ${system}, ${clients} clients`);
        rows.push(await measureSystem(system, clients, params, lead, leadUrl, load));
      }
    }
  } finally {
    await load.stop();
    await lead.stop();
  }
  return { params, payloadBytes: payloadBytes(), rows };
}

async function measureSystem(
  system: FanOutSystem,
  clients: number,
  params: FanOutParams,
  lead: BenchChild,
  leadUrl: string,
  load: LoadGenerators,
): Promise<FanOutRow> {
  const projectId = `fanout-${system.replace('.', '')}-${clients}`;
  await lead.request('createProject', { projectId });
  const server = await startServerUnderTest(system, leadUrl, projectId);
  const settle = () => new Promise((resolve) => setTimeout(resolve, params.settleMs ?? 1_000));
  try {
    await settle();
    const idle = sampleProcess(server.pid);
    // The first client pays what a server does once, not per connection: the edge opens its
    // upstream (and loads its gRPC client) on the first subscription, where its peers follow
    // the project from the start. RSS per connection counts the clients after it.
    const target = { host: '127.0.0.1', port: server.port, protocol: server.protocol, projectId };
    const first = await load.connect(target, 1);
    await settle();
    const withOne = sampleProcess(server.pid);
    const connected = first + (await load.connect(target, clients - 1));
    await settle();
    const withClients = sampleProcess(server.pid);
    const pids = { server: server.pid, lead: lead.pid, bench: process.pid, ...load.pids };

    const live = await phase(load, pids, connected, params.drainTimeoutMs, () =>
      lead.request<ProductionReport>(
        'rate',
        {
          projectId,
          perSecond: params.live.eventsPerSecond,
          count: Math.round(params.live.eventsPerSecond * params.live.seconds),
        },
        params.live.seconds * 1000 + 60_000,
      ),
    );
    const burst = await phase(load, pids, connected, params.drainTimeoutMs, () =>
      lead.request<ProductionReport>(
        'burst',
        { projectId, seconds: params.burstSeconds },
        params.burstSeconds * 1000 + 60_000,
      ),
    );
    const row: FanOutRow = {
      system,
      clients: connected,
      memory: {
        idleRssMb: mb(idle?.rssBytes),
        oneClientRssMb: mb(withOne?.rssBytes),
        connectedRssMb: mb(withClients?.rssBytes),
        perConnectionKb: kbEach(withOne, withClients, connected - first),
        perConnectionFromIdleKb: kbEach(idle, withClients, connected),
      },
      live,
      burst,
    };
    const slow = await server.slowClientCloses().catch(() => undefined);
    if (slow !== undefined) row.slowClientCloses = slow;
    return row;
  } finally {
    await load.disconnect().catch(() => {});
    await server.stop();
  }
}

/** Publishes (through `publish`), waits for delivery, and measures what it cost. */
async function phase(
  load: LoadGenerators,
  pids: Record<string, number>,
  clients: number,
  drainTimeoutMs: number,
  publish: () => Promise<ProductionReport>,
): Promise<PhaseFigures> {
  await load.reset();
  const meter = new PhaseMeter(pids);
  const report = await publish();
  const expected = report.produced * clients;
  const totals = await load.waitForDelivery(expected, drainTimeoutMs);
  const usage = meter.stop();
  const seconds = Math.max(1e-6, (totals.lastReceiptUs - report.firstStampUs) / 1e6);
  const loads = Object.entries(usage)
    .filter(([name]) => name.startsWith('load'))
    .map(([, u]) => u.cpuPercent);
  return {
    events: report.produced,
    expected,
    delivered: totals.received,
    completeness: expected ? round(totals.received / expected, 4) : 1,
    outOfOrder: totals.outOfOrder,
    closedClients: totals.closed,
    seconds: round(seconds, 3),
    messagesPerSecond: Math.round(totals.received / seconds),
    eventsPerSecond: Math.round(report.produced / seconds),
    serverCpuUsPerMessage: totals.received
      ? round(((usage.server?.cpuMs ?? 0) * 1000) / totals.received, 2)
      : 0,
    latency: totals.latency.summary(),
    cpu: {
      server: usage.server?.cpuPercent ?? 0,
      lead: usage.lead?.cpuPercent ?? 0,
      loadTotal: round(
        loads.reduce((a, b) => a + b, 0),
        1,
      ),
      loadMax: Math.max(0, ...loads),
      machine: usage.machine?.cpuPercent ?? 0,
      other: usage.other?.cpuPercent ?? 0,
    },
  };
}

const mb = (bytes: number | undefined) => round((bytes ?? 0) / 2 ** 20, 1);

/** The RSS in KB that each of `count` clients added between two readings. */
function kbEach(
  before: ProcessSample | undefined,
  after: ProcessSample | undefined,
  count: number,
): number {
  return round(((after?.rssBytes ?? 0) - (before?.rssBytes ?? 0)) / 1024 / Math.max(1, count), 1);
}
