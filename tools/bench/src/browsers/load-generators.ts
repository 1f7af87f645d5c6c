import { BenchChild } from '../harness/bench-child.js';
import { LatencyHistogram } from '../harness/latency-histogram.js';
import type { ConnectArgs, ConnectReply, LoadStats } from './load-protocol.js';

// The simulated browsers of a run, spread over a few load-generator processes, seen as one:
// connect N clients, reset, wait until every client received what was published, collect.

/** The generators' LoadStats summed, their histograms merged into one. */
export type DeliveryTotals = Omit<LoadStats, 'histogram'> & { latency: LatencyHistogram };

export class LoadGenerators {
  private constructor(readonly processes: BenchChild[]) {}

  static async start(count: number): Promise<LoadGenerators> {
    const processes = await Promise.all(
      Array.from({ length: count }, () => BenchChild.start('browsers/load-client.js')),
    );
    return new LoadGenerators(processes);
  }

  get pids(): Record<string, number> {
    return Object.fromEntries(this.processes.map((p, i) => [`load${i + 1}`, p.pid]));
  }

  /** Opens `count` clients, shared out evenly; throws unless every one is ready. */
  async connect(args: Omit<ConnectArgs, 'count'>, count: number): Promise<number> {
    const n = this.processes.length;
    const replies = await Promise.all(
      this.processes.map((p, i) =>
        p.request<ConnectReply>(
          'connect',
          { ...args, count: Math.floor(count / n) + (i < count % n ? 1 : 0) },
          180_000,
        ),
      ),
    );
    const connected = replies.reduce((sum, r) => sum + r.connected, 0);
    const failed = replies.reduce((sum, r) => sum + r.failed, 0);
    if (failed > 0) {
      const error = replies.find((r) => r.error)?.error;
      throw new Error(`${failed} of ${count} clients could not connect: ${error}`);
    }
    return connected;
  }

  async reset(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.request('reset')));
  }

  async totals(withLatency = false): Promise<DeliveryTotals> {
    const all = await Promise.all(
      this.processes.map((p) => p.request<LoadStats>('stats', { histogram: withLatency })),
    );
    const latency = new LatencyHistogram();
    for (const s of all) if (s.histogram) latency.merge(s.histogram);
    const firsts = all.map((s) => s.firstReceiptUs).filter((t) => t > 0);
    return {
      clients: sum(all.map((s) => s.clients)),
      received: sum(all.map((s) => s.received)),
      outOfOrder: sum(all.map((s) => s.outOfOrder)),
      closed: sum(all.map((s) => s.closed)),
      minPerClient: Math.min(...all.map((s) => s.minPerClient)),
      maxPerClient: Math.max(...all.map((s) => s.maxPerClient)),
      firstReceiptUs: firsts.length ? Math.min(...firsts) : 0,
      lastReceiptUs: Math.max(...all.map((s) => s.lastReceiptUs)),
      latency,
    };
  }

  /**
   * Waits until the clients received `expected` events in all, or nothing more arrived for
   * `stallMs`, or `timeoutMs` passed; returns the totals with latencies.
   */
  async waitForDelivery(expected: number, timeoutMs: number, stallMs = 5_000) {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const { received } = await this.totals();
      if (received >= expected) break;
      if (received !== last) {
        last = received;
        lastChange = Date.now();
      }
      if (Date.now() - lastChange > stallMs || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.totals(true);
  }

  async disconnect(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.request('disconnect', {}, 30_000)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
