// The lead's parts over a store, with no workers and a model that is never called: what the
// API specs drive, in process or behind a real RPC server.
import { DEFAULT_PRICES, LlmClient } from '@codeframe/llm';
import { silentLogger } from '@codeframe/runtime';
import type { Store } from '@codeframe/store';
import { EventHub } from './event-hub.js';
import type { LeadParts } from './lead-service.js';
import { Orchestrator } from './orchestrator.js';
import type { RepoUrlSettings } from './repo-url-policy.js';
import { WorkerPool } from './worker-pool.js';

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
