import { join } from 'node:path';
import { type Brain, type FakeAnthropic, startFakeAnthropic } from '@codeframe/fake-anthropic';
import { type ServiceProcess, startServiceProcess } from '@codeframe/testkit';
import { trackChild } from './child-registry.js';
import { probeEnv } from './probe-reading.js';

// The real system as the orchestration benchmark runs it: fake-anthropic in this process,
// `replicas` worker processes of each kind with `capacity` slots each, and the lead. Like
// testkit's startCluster, with the worker settings a benchmark needs.

export const WORKER_KINDS = ['backend', 'frontend', 'test'] as const;

export interface BenchCluster {
  fake: FakeAnthropic;
  lead: ServiceProcess;
  workers: ServiceProcess[];
  leadUrl: string;
  stop(): Promise<void>;
}

export async function startBenchCluster(options: {
  dir: string;
  brain: Brain;
  replicas: number;
  capacity: number;
  /** Loads the event-loop probe into the lead and every worker (which log their processes). */
  probe?: boolean;
  /** Settings of the lead on top of the benchmark's. */
  leadEnv?: Record<string, string>;
}): Promise<BenchCluster> {
  const probe = options.probe ? probeEnv() : {};
  const workerProbe = options.probe ? probeEnv(true) : {};
  const fake = await startFakeAnthropic({ brain: options.brain });
  const workers: ServiceProcess[] = [];
  const stop = async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await fake.close();
  };
  try {
    const started = await Promise.all(
      WORKER_KINDS.flatMap((kind) =>
        Array.from({ length: options.replicas }, async (_, i) => {
          const worker = await startServiceProcess({
            entry: `services/worker-${kind}/dist/main.js`,
            env: {
              ANTHROPIC_BASE_URL: fake.url,
              CODEFRAME_WORK_DIR: join(options.dir, `work-${kind}-${i}`),
              CODEFRAME_WORKER_CAPACITY: String(options.capacity),
              CODEFRAME_SHUTDOWN_GRACE_MS: '1000',
              ...workerProbe,
            },
          });
          trackChild(worker.child);
          workers.push(worker);
          return { kind, address: `127.0.0.1:${worker.port}` };
        }),
      ),
    );
    const addresses = (kind: string) =>
      started
        .filter((w) => w.kind === kind)
        .map((w) => w.address)
        .join(',');
    const lead = await startServiceProcess({
      entry: 'services/lead/dist/main.js',
      env: {
        ANTHROPIC_BASE_URL: fake.url,
        CODEFRAME_DATA_DIR: join(options.dir, 'lead'),
        CODEFRAME_WORKERS_BACKEND: addresses('backend'),
        CODEFRAME_WORKERS_FRONTEND: addresses('frontend'),
        CODEFRAME_WORKERS_TEST: addresses('test'),
        CODEFRAME_WORKER_PROBE_MS: '200',
        CODEFRAME_SHUTDOWN_GRACE_MS: '1000',
        // The benchmarks' brains play engineers, not reviewers.
        CODEFRAME_REVIEW: 'off',
        ...options.leadEnv,
        ...probe,
      },
    });
    trackChild(lead.child);
    return {
      fake,
      lead,
      workers,
      leadUrl: `http://127.0.0.1:${lead.port}`,
      async stop() {
        await lead.stop();
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
