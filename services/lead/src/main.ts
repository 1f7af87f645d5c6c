import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createLlmClient, llmSettings } from '@codeframe/llm';
import { LeadService, TaskKind } from '@codeframe/proto';
import { serverSettings, startRpcServer } from '@codeframe/rpc';
import { env, gitSettings, launcherSettings, loadConfig, runService } from '@codeframe/runtime';
import { databaseUrlSetting, openStore } from '@codeframe/store';
import { advertised } from './advertised-url.js';
import { EventHub } from './event-hub.js';
import { gitHttpRoute } from './git-http.js';
import { leadService, storeErrors } from './lead-service.js';
import { LeaseKeeper } from './lease-keeper.js';
import { DEFAULT_MERGE_BATCH } from './main-verification.js';
import { Orchestrator } from './orchestrator.js';
import { ProjectRouter } from './project-router.js';
import { DEFAULT_REPO_MAP_TOKENS } from './repo-maps.js';
import { WorkerPool } from './worker-pool.js';
import { workerTargets } from './worker-targets.js';

await runService('lead', async (log) => {
  const config = loadConfig({
    ...serverSettings(7100),
    ...llmSettings,
    dataDir: env.string('CODEFRAME_DATA_DIR', '.codeframe'),
    databaseUrl: databaseUrlSetting,
    backend: workerTargets('CODEFRAME_WORKERS_BACKEND', ['127.0.0.1:7101']),
    frontend: workerTargets('CODEFRAME_WORKERS_FRONTEND', ['127.0.0.1:7102']),
    test: workerTargets('CODEFRAME_WORKERS_TEST', ['127.0.0.1:7103']),
    maxConcurrency: env.int('CODEFRAME_MAX_CONCURRENCY', 4, 1, 1000),
    maxDispatchAttempts: env.int('CODEFRAME_MAX_DISPATCH_ATTEMPTS', 3, 1, 20),
    // Sent with every task; 0 leaves the limit to the worker's own default.
    taskBudgetUsd: env.number('CODEFRAME_TASK_BUDGET_USD', 0, 0),
    taskMaxTurns: env.int('CODEFRAME_TASK_MAX_TURNS', 0, 0, 1000),
    taskDeadlineMs: env.int('CODEFRAME_TASK_DEADLINE_MS', 0, 0),
    probeIntervalMs: env.int('CODEFRAME_WORKER_PROBE_MS', 2_000, 100),
    repoMapTokens: env.int('CODEFRAME_REPO_MAP_TOKENS', DEFAULT_REPO_MAP_TOKENS, 0, 200_000),
    // A project that does not say is reviewed before each merge unless this is off.
    review: env.boolean('CODEFRAME_REVIEW', true),
    reviewMaxRounds: env.int('CODEFRAME_REVIEW_MAX_ROUNDS', 2, 0, 20),
    ...gitSettings,
    ...launcherSettings,
    repoRoot: env.optional('CODEFRAME_REPO_ROOT'),
    allowPrivateHosts: env.boolean('CODEFRAME_REPO_ALLOW_PRIVATE_HOSTS', false),
    verifyMain: env.boolean('CODEFRAME_VERIFY_MAIN', true),
    mergeBatch: env.int('CODEFRAME_MERGE_BATCH', DEFAULT_MERGE_BATCH, 1, 256),
    // Workers fetch and push the repositories the lead created over its own port.
    gitHttp: env.oneOf('CODEFRAME_GIT_HTTP', ['remote', 'always', 'off'], 'remote'),
    advertisedUrl: env.optional('CODEFRAME_ADVERTISED_URL'),
    // Leads sharing a PostgreSQL database: this one's id (the same after a restart takes its
    // projects back at once), and how long a lead that stops answering keeps its projects.
    leadId: env.optional('CODEFRAME_LEAD_ID'),
    leaseMs: env.int('CODEFRAME_LEASE_MS', 10_000, 500, 300_000),
  });
  const dataDir = resolve(config.dataDir);
  const holder = config.leadId ?? `${hostname()}:${config.port || randomUUID().slice(0, 8)}`;
  const { store, location } = await openStore(config.databaseUrl, dataDir, {
    lease: { holder, url: '', ttlMs: config.leaseMs },
  });
  const { leases } = store;
  log.info({ database: location, lead: leases?.holder }, 'state opened');
  const hub = new EventHub(store);
  const pool = new WorkerPool({
    replicas: {
      [TaskKind.BACKEND]: config.backend,
      [TaskKind.FRONTEND]: config.frontend,
      [TaskKind.TEST]: config.test,
    },
    token: config.authToken,
    logger: log,
    probeIntervalMs: config.probeIntervalMs,
  });
  const llm = createLlmClient(config, log);
  const orchestrator = new Orchestrator({
    store,
    hub,
    pool,
    llm,
    dataDir,
    logger: log,
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
  const keeper =
    leases &&
    new LeaseKeeper({
      leases,
      logger: log,
      adopt: async (projectId) => {
        hub.adopted(projectId);
        await orchestrator.adopt(projectId, 'the lead that ran it stopped');
      },
      lost: (projectId) => orchestrator.relinquish(projectId),
    });
  const router =
    keeper &&
    new ProjectRouter({
      leases,
      token: config.authToken,
      claim: (projectId) => keeper.claim(projectId),
    });
  // Where other hosts reach the lead: workers for its repositories (unless git HTTP is off),
  // the other leads for calls about the projects it owns.
  const reachedAt =
    config.gitHttp === 'off' && !leases
      ? undefined
      : advertised(config.advertisedUrl, config.host, log);
  const server = await startRpcServer({
    host: config.host,
    port: config.port,
    logger: log,
    services: [LeadService],
    authToken: config.authToken,
    shutdownGraceMs: config.shutdownGraceMs,
    allowedHosts: reachedAt ? [...config.allowedHosts, reachedAt.hostname] : config.allowedHosts,
    maxMessageBytes: config.maxMessageBytes,
    interceptors: [storeErrors],
    routes: (routes) =>
      routes.service(LeadService, leadService({ store, hub, orchestrator, router })),
    httpRoutes:
      config.gitHttp !== 'off' && reachedAt
        ? [
            await gitHttpRoute({
              reposDir: resolve(dataDir, 'repos'),
              hooksDir: resolve(dataDir, 'git-hooks'),
              authToken: config.authToken,
              logger: log,
            }),
          ]
        : [],
  });
  const baseUrl = reachedAt?.url(server.port);
  if (baseUrl && config.gitHttp !== 'off') {
    orchestrator.repos.endpoint = {
      baseUrl,
      token: config.authToken,
      always: config.gitHttp === 'always',
    };
  }
  log.info(
    { listener: 'rpc', port: server.port, url: server.url, advertised: baseUrl },
    'listening',
  );
  // Workers may start after the lead: probing goes on in the background.
  void pool.start();
  let stopListening: (() => Promise<void>) | undefined;
  if (leases && keeper) {
    leases.advertise(baseUrl ?? server.url);
    // Watchers here of a project another lead writes read its commits from the database.
    stopListening = await leases.onCommit((projectId, seq) => {
      if (projectId === undefined || !leases.holds(projectId))
        hub.committedElsewhere(projectId, seq);
    });
    await keeper.start();
  } else {
    await orchestrator.recover();
  }
  return {
    async stop() {
      orchestrator.stop();
      await keeper?.stop();
      await stopListening?.();
      pool.stop();
      await server.close();
      await store.close();
    },
  };
});
