// The pipeline's ceiling: a client process reading the synthetic worker's ExecuteTask
// streams directly (one gRPC hop over connect-node, as the lead reads a worker), with the
// same messages, counting them and their latency from stamp to receipt.
import { create } from '@bufbuild/protobuf';
import { ExecuteTaskRequestSchema, TaskKind, WorkerService } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import { serveRequests } from '../harness/bench-child.js';
import { monotonicMicros } from '../harness/bench-clock.js';
import { type HistogramJson, LatencyHistogram } from '../harness/latency-histogram.js';
import { messageStamp } from '../harness/stamped-event.js';
import { formatStreamSpec, type StreamSpec } from './stream-spec.js';

export interface BareStreamArgs {
  url: string;
  streams: number;
  spec: StreamSpec;
}

export interface BareStreamStats {
  received: number;
  firstStampUs: number;
  lastReceiptUs: number;
  histogram: HistogramJson;
}

async function run(args: BareStreamArgs): Promise<BareStreamStats> {
  const client = createRpcClient(WorkerService, { baseUrl: args.url });
  const histogram = new LatencyHistogram();
  let firstStampUs = 0;
  let lastReceiptUs = 0;
  const one = async (i: number) => {
    const request = create(ExecuteTaskRequestSchema, {
      projectId: 'bare-stream',
      task: {
        id: `bare-${i}`,
        title: 'bare stream',
        kind: TaskKind.BACKEND,
        description: formatStreamSpec(args.spec),
      },
      repoUrl: 'file:///nowhere.git',
      baseRef: 'main',
    });
    for await (const event of client.executeTask(request)) {
      if (event.payload.case !== 'activityUpdate') continue;
      const now = monotonicMicros();
      const stamp = messageStamp(event.payload.value.message) ?? now;
      if (firstStampUs === 0 || stamp < firstStampUs) firstStampUs = stamp;
      lastReceiptUs = now;
      histogram.record(now - stamp);
    }
  };
  await Promise.all(Array.from({ length: args.streams }, (_, i) => one(i)));
  return { received: histogram.count, firstStampUs, lastReceiptUs, histogram: histogram.toJSON() };
}

serveRequests({ run });
