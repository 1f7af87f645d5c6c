// The whole system runs a project; /metrics of the lead, a worker and the edge show it.
import { type Cluster, type ServiceProcess, startCluster, watchUntil } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoBrain, demoPrd, startEdge } from './edge-cluster.test-support.js';

let cluster: Cluster;
let edge: ServiceProcess;

beforeAll(async () => {
  cluster = await startCluster(demoBrain());
  edge = await startEdge(cluster.leadUrl);
}, 60_000);
afterAll(async () => {
  await edge?.stop();
  await cluster?.stop();
});

const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|NaN|Nan|[+-]Inf)$/;
/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/;

// prom-client writes NaN as `Nan`; Prometheus parses floats case-insensitively.
/** The scraped samples by `name{labels}`, after checking every line is Prometheus text. */
async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  const samples = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    expect(SAMPLE.test(line), line).toBe(true);
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** The sum of a family's samples whose series starts with `prefix`. */
function total(samples: Map<string, number>, prefix: string): number {
  let sum = 0;
  for (const [series, value] of samples) if (series.startsWith(prefix)) sum += value;
  return sum;
}

describe('metrics during a run', () => {
  it('move on the lead, a worker and the edge', async () => {
    const { project } = await cluster.client.createProject({ prd: demoPrd('metrics') });
    await cluster.client.startProject({ projectId: project!.id });
    await watchUntil(cluster, project!.id, 0n, (e) => {
      const v = e.payload.value as { status?: number } | undefined;
      return e.payload.case === 'projectStatus' && (v?.status === 6 || v?.status === 7);
    });

    const lead = await scrape(cluster.lead.port);
    expect(
      total(lead, 'codeframe_rpc_calls_total{method="codeframe.v1.LeadService/'),
    ).toBeGreaterThan(0);
    expect(total(lead, 'codeframe_dispatches_total')).toBeGreaterThan(0);
    expect(total(lead, 'codeframe_merges_total{outcome="merged"}')).toBeGreaterThan(0);
    expect(total(lead, 'codeframe_model_calls_total{')).toBeGreaterThan(0);
    expect(total(lead, 'codeframe_task_transitions_total{status="COMPLETED"}')).toBeGreaterThan(0);
    expect(lead.has('codeframe_nodejs_eventloop_lag_seconds')).toBe(true);
    // Read from the store at the scrape: the run's tasks all completed.
    expect(lead.get('codeframe_tasks{status="COMPLETED"}')).toBeGreaterThan(0);
    expect(lead.get('codeframe_tasks{status="PENDING"}')).toBe(0);
    // Each merge went through the merge queue, its main tested on a worker.
    expect(total(lead, 'codeframe_main_verifications_total{outcome="passed"}')).toBeGreaterThan(0);
    // The run has ended: nothing dispatching, waiting or uncommitted.
    for (const name of [
      'codeframe_tasks_running',
      'codeframe_tasks_waiting',
      'codeframe_event_appends_in_flight',
      'codeframe_merge_queue_depth',
    ]) {
      expect(lead.get(name), name).toBe(0);
    }
    expect(lead.has('codeframe_watch_backlog_events')).toBe(true);

    const worker = await scrape(cluster.workers.backend![0]!.port);
    expect(
      total(
        worker,
        'codeframe_rpc_calls_total{method="codeframe.v1.WorkerService/ExecuteTaskBatches"',
      ),
    ).toBeGreaterThan(0);
    expect(total(worker, 'codeframe_model_calls_total{')).toBeGreaterThan(0);
    expect(total(worker, 'codeframe_model_tokens_total{')).toBeGreaterThan(0);
    expect(total(worker, 'codeframe_sandbox_commands_total{')).toBeGreaterThan(0);
    expect(total(worker, 'codeframe_sandbox_command_duration_seconds_count{')).toBeGreaterThan(0);

    const edgeSamples = await scrape(edge.ports.http!);
    expect(edgeSamples.has('codeframe_edge_connections')).toBe(true);
    expect(edgeSamples.has('codeframe_process_cpu_user_seconds_total')).toBe(true);
  }, 120_000);
});
