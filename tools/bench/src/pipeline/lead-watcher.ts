import { createLeadClient, followEventBatches } from '@codeframe/rpc';
import { monotonicMicros } from '../harness/bench-clock.js';
import { LatencyHistogram, type LatencySummary } from '../harness/latency-histogram.js';
import { messageStamp } from '../harness/stamped-event.js';

// One gRPC watcher of the lead, in the bench's own process, beside the edge: the latency of
// the stamped events up to the lead's side of the pipeline, so that a run tells how much of
// the browsers' latency the worker and the lead add and how much the edge does.

export interface LeadWatcher {
  /** Ends the watch; the latency of every stamped event it received. */
  stop(): Promise<LatencySummary>;
}

export function watchLead(leadUrl: string, projectId: string): LeadWatcher {
  const histogram = new LatencyHistogram();
  const abort = new AbortController();
  const lead = createLeadClient({ baseUrl: leadUrl });
  const watched = (async () => {
    for await (const batch of followEventBatches(lead, projectId, 0n, { signal: abort.signal })) {
      const now = monotonicMicros();
      for (const event of batch) {
        if (event.payload.case !== 'activityUpdate') continue;
        const stamp = messageStamp(event.payload.value.message);
        if (stamp !== undefined) histogram.record(now - stamp);
      }
    }
  })();
  // Observed now so a failure before stop() is not unhandled; stop() throws it.
  watched.catch(() => {});
  return {
    async stop() {
      abort.abort();
      await watched;
      return histogram.summary();
    },
  };
}
