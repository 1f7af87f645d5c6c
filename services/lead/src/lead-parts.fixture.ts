// The lead's parts over a store, with no workers and a model that is never called: what the
// API specs drive, in process or behind a real RPC server.
import { DEFAULT_PRICES, LlmClient } from '@codeframe/llm';
import { EventHub, Orchestrator, WorkerPool } from '@codeframe/orchestrator';
import { LeadService } from '@codeframe/proto';
import type { RepoUrlSettings } from '@codeframe/repos';
import { type RpcServer, startRpcServer } from '@codeframe/rpc';
import { type Logger, silentLogger } from '@codeframe/runtime';
import type { Store } from '@codeframe/store';
import { apiErrors } from './api-errors.js';
import { type LeadParts, leadService } from './lead-service.js';

export function leadParts(
  store: Store,
  options: { dataDir?: string; repoUrls?: RepoUrlSettings } = {},
): LeadParts {
  const hub = new EventHub(store);
  const pool = new WorkerPool({
    replicas: {},
    token: undefined,
    logger: silentLogger,
    probeIntervalMs: 60_000,
  });
  const llm = new LlmClient({
    apiKey: 'k',
    baseUrl: 'http://127.0.0.1:9',
    model: 'm',
    prices: DEFAULT_PRICES,
    maxRetries: 0,
    requestTimeoutMs: 1_000,
    maxTokens: 16,
    logger: silentLogger,
  });
  const orchestrator = new Orchestrator({
    store,
    hub,
    pool,
    llm,
    dataDir: options.dataDir ?? '/nonexistent',
    logger: silentLogger,
    maxConcurrency: 1,
    maxDispatchAttempts: 1,
    ...(options.repoUrls ? { repoUrls: options.repoUrls } : {}),
  });
  return { store, hub, orchestrator };
}

/** The LeadService of `parts` on an ephemeral port of 127.0.0.1, as the lead's main serves it. */
export function serveLead(parts: LeadParts, logger: Logger = silentLogger): Promise<RpcServer> {
  return startRpcServer({
    host: '127.0.0.1',
    port: 0,
    logger,
    services: [LeadService],
    authToken: undefined,
    shutdownGraceMs: 100,
    interceptors: [apiErrors],
    routes: (router) => router.service(LeadService, leadService(parts)),
  });
}
