import { resolve } from 'node:path';
import type { LlmClient } from '@codeframe/llm';
import { TaskKind } from '@codeframe/proto';
import { type Logger, type SettingValues, tlsConfigured } from '@codeframe/runtime';
import type { Store } from '@codeframe/store';
import { EventHub } from './event-hub.js';
import type { leadSettings } from './lead-settings.js';
import { LeaseKeeper } from './lease-keeper.js';
import { Orchestrator } from './orchestrator.js';
import { ProjectRouter } from './project-router.js';
import { WorkerPool } from './worker-pool.js';

/** What the lead's core needs of its configuration: its settings and the shared token. */
export type LeadCoreConfig = SettingValues<typeof leadSettings> & { authToken?: string };

/** The lead's parts, wired together; the service serves them and starts and stops them. */
export interface LeadCore {
  hub: EventHub;
  pool: WorkerPool;
  orchestrator: Orchestrator;
  /** With leases (leads sharing PostgreSQL): keeps this lead's projects and takes over others'. */
  keeper?: LeaseKeeper;
  /** With leases: passes writes about another lead's project to it. */
  router?: ProjectRouter;
}

/** Wires the event hub, the worker pool, the orchestrator and, with leases, the keeper and
 * the router, from the lead's settings. Nothing starts yet. */
export function leadCore(
  config: LeadCoreConfig,
  store: Store,
  llm: LlmClient,
  logger: Logger,
): LeadCore {
  const { leases } = store;
  const hub = new EventHub(store);
  const pool = new WorkerPool({
    replicas: {
      [TaskKind.BACKEND]: config.backend,
      [TaskKind.FRONTEND]: config.frontend,
      [TaskKind.TEST]: config.test,
    },
    token: config.authToken,
    tls: tlsConfigured(),
    logger,
    probeIntervalMs: config.probeIntervalMs,
  });
  const orchestrator = new Orchestrator({
    store,
    hub,
    pool,
    llm,
    dataDir: resolve(config.dataDir),
    logger,
    maxConcurrency: config.maxConcurrency,
    maxDispatchAttempts: config.maxDispatchAttempts,
    taskLimits: {
      taskBudgetUsd: config.taskBudgetUsd,
      maxTurns: config.taskMaxTurns,
      deadlineMs: config.taskDeadlineMs,
    },
    repoMapTokens: config.repoMapTokens,
    review: { byDefault: config.review, maxRounds: config.reviewMaxRounds },
    verifyMain: config.verifyMain,
    mergeBatch: config.mergeBatch,
    repoUrls: {
      root: config.repoRoot && resolve(config.repoRoot),
      allowHttp: config.allowHttp,
      allowPrivateHosts: config.allowPrivateHosts,
    },
    owns: leases && ((projectId) => leases.holds(projectId)),
  });
  if (!leases) return { hub, pool, orchestrator };
  const keeper = new LeaseKeeper({
    leases,
    logger,
    adopt: async (projectId) => {
      hub.adopted(projectId);
      await orchestrator.adopt(projectId, 'the lead that ran it stopped');
    },
    lost: (projectId) => orchestrator.relinquish(projectId),
  });
  const router = new ProjectRouter({
    leases,
    token: config.authToken,
    claim: (projectId) => keeper.claim(projectId),
  });
  return { hub, pool, orchestrator, keeper, router };
}
