// A whole system for end-to-end tests: fake-anthropic in this process, worker processes of
// each kind, and the lead process, all on ephemeral loopback ports.
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Brain, type FakeAnthropic, startFakeAnthropic } from '@codeframe/fake-anthropic';
import { type Event, LeadService, ProjectStatus } from '@codeframe/proto';
import { type Client, createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { type ServiceProcess, startServiceProcess } from './service-process.js';
import type { TestCerts } from './test-certs.js';

export interface Cluster {
  dir: string;
  fake: FakeAnthropic;
  workers: Record<string, ServiceProcess[]>;
  lead: ServiceProcess;
  client: Client<typeof LeadService>;
  /** The lead's base URL, e.g. http://127.0.0.1:41234 */
  readonly leadUrl: string;
  /** Starts the lead again on the same data dir (after it was killed). */
  restartLead(): Promise<void>;
  /** Starts one more lead with the same data dir, workers and settings, and `env` over
   * them (leads sharing a database); stopped with the cluster. */
  startLead(env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Settings of every service (workers and lead), e.g. CODEFRAME_PRICES_FILE. */
  env?: Record<string, string>;
  /** Settings of the lead alone, over `env`. The lead reviews no task before its merge
   * unless they set CODEFRAME_REVIEW (most brains here play engineers, not reviewers). */
  leadEnv?: Record<string, string>;
  /** Every service serves TLS with these certificates and requires client certificates
   * (mutual TLS); every client, git included, verifies with their CA and shows one. */
  tls?: TestCerts;
}

/** The environment of mutual TLS with the test certificates (a server and a client certificate
 * for every service). */
export function mutualTlsEnv(certs: TestCerts): Record<string, string> {
  return {
    CODEFRAME_TLS_CERT: certs.serverCert,
    CODEFRAME_TLS_KEY: certs.serverKey,
    CODEFRAME_TLS_CLIENT_CA: certs.ca,
    CODEFRAME_TLS_CA: certs.ca,
    CODEFRAME_TLS_CLIENT_CERT: certs.clientCert,
    CODEFRAME_TLS_CLIENT_KEY: certs.clientKey,
  };
}

export async function startCluster(
  brain: Brain,
  replicas: Partial<Record<string, number>> = {},
  options: ClusterOptions = {},
): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-'));
  const fake = await startFakeAnthropic({ brain });
  const tlsEnv = options.tls ? mutualTlsEnv(options.tls) : {};
  const scheme = options.tls ? 'https' : 'http';
  // Every worker starts at once: a start is mostly loading modules and probing the sandbox.
  const started = ['backend', 'frontend', 'test'].map(async (kind) => {
    const starting = Array.from({ length: replicas[kind] ?? 1 }, (_, i) =>
      startServiceProcess({
        entry: `services/worker-${kind}/dist/main.js`,
        env: {
          ...tlsEnv,
          ...options.env,
          ANTHROPIC_BASE_URL: fake.url,
          CODEFRAME_WORK_DIR: join(dir, `work-${kind}-${i}`),
        },
      }),
    );
    return [kind, await Promise.allSettled(starting)] as const;
  });
  const settled = await Promise.all(started);
  const workers: Record<string, ServiceProcess[]> = {};
  for (const [kind, results] of settled) {
    workers[kind] = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }
  const failed = settled.flatMap(([, results]) =>
    results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : [])),
  );
  // A process that could not start stops the others, so none outlives the test.
  const abandon = async (err: unknown): Promise<never> => {
    await Promise.all(
      Object.values(workers)
        .flat()
        .map((w) => w.stop()),
    );
    await fake.close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  };
  if (failed.length > 0) await abandon(failed[0]);
  const addresses = (kind: string) =>
    (workers[kind] ?? [])
      .map((w) => (options.tls ? `https://127.0.0.1:${w.port}` : `127.0.0.1:${w.port}`))
      .join(',');
  const startLead = (env: Record<string, string> = {}) =>
    startServiceProcess({
      entry: 'services/lead/dist/main.js',
      env: {
        CODEFRAME_REVIEW: 'off',
        ...tlsEnv,
        ...options.env,
        ...options.leadEnv,
        ANTHROPIC_BASE_URL: fake.url,
        CODEFRAME_DATA_DIR: join(dir, 'lead'),
        CODEFRAME_WORKERS_BACKEND: addresses('backend'),
        CODEFRAME_WORKERS_FRONTEND: addresses('frontend'),
        CODEFRAME_WORKERS_TEST: addresses('test'),
        CODEFRAME_WORKER_PROBE_MS: '200',
        CODEFRAME_SHUTDOWN_GRACE_MS: '1000',
        ...env,
      },
    });
  const moreLeads: ServiceProcess[] = [];
  const cluster: Cluster = {
    dir,
    fake,
    workers,
    lead: await startLead().catch(abandon),
    client: undefined as never,
    get leadUrl() {
      return `${scheme}://127.0.0.1:${cluster.lead.port}`;
    },
    async restartLead() {
      cluster.lead = await startLead();
      cluster.client = leadClient(cluster.lead, options.tls);
    },
    async startLead(env) {
      const lead = await startLead(env);
      moreLeads.push(lead);
      return lead;
    },
    async stop() {
      const all = [cluster.lead, ...moreLeads, ...Object.values(workers).flat()];
      await Promise.all(all.map((s) => s.stop()));
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  cluster.client = leadClient(cluster.lead, options.tls);
  return cluster;
}

/** Whether the event is a project's last status: COMPLETED or FAILED (a watch's usual end). */
export const projectEnded = (event: Event): boolean =>
  event.payload.case === 'projectStatus' &&
  (event.payload.value.status === ProjectStatus.COMPLETED ||
    event.payload.value.status === ProjectStatus.FAILED);

/** Watches a project's events after `afterSeq` until `until` says stop (or `timeoutMs` pass). */
export async function watchUntil(
  cluster: Cluster,
  projectId: string,
  afterSeq: bigint,
  until: (event: Event, seen: Event[]) => boolean,
  timeoutMs = 60_000,
): Promise<Event[]> {
  return watchLead(cluster.client, projectId, afterSeq, until, timeoutMs);
}

/** watchUntil on the given lead's client. */
export async function watchLead(
  client: Client<typeof LeadService>,
  projectId: string,
  afterSeq: bigint,
  until: (event: Event, seen: Event[]) => boolean,
  timeoutMs = 60_000,
): Promise<Event[]> {
  const seen: Event[] = [];
  // Leaving the loop does not end a Connect stream on the server: abort it explicitly.
  const done = new AbortController();
  const signal = AbortSignal.any([done.signal, AbortSignal.timeout(timeoutMs)]);
  try {
    for await (const event of client.watchEvents({ projectId, afterSeq }, { signal })) {
      seen.push(event);
      if (until(event, seen)) break;
    }
  } finally {
    done.abort();
  }
  return seen;
}

/** A client of the lead process (over mutual TLS with `tls`). */
export function leadClient(lead: ServiceProcess, tls?: TestCerts): Client<typeof LeadService> {
  if (!tls) {
    return createClient(
      LeadService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${lead.port}` }),
    );
  }
  const pem = (path: string) => readFileSync(path);
  return createClient(
    LeadService,
    createGrpcTransport({
      baseUrl: `https://127.0.0.1:${lead.port}`,
      nodeOptions: { ca: pem(tls.ca), cert: pem(tls.clientCert), key: pem(tls.clientKey) },
    }),
  );
}
