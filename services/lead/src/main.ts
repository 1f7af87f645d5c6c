import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { createLlmClient, llmSettings } from '@codeframe/llm';
import { leadCore, leadSettings } from '@codeframe/orchestrator';
import { LeadService } from '@codeframe/proto';
import { advertised, gitHttpRoute } from '@codeframe/repos';
import { serverSettings, startRpcServer } from '@codeframe/rpc';
import { loadConfig, runService, serverTls } from '@codeframe/runtime';
import { openStore } from '@codeframe/store';
import { apiErrors } from './api-errors.js';
import { leadService } from './lead-service.js';

await runService('lead', async (log) => {
  const config = loadConfig({ ...serverSettings(7100), ...llmSettings, ...leadSettings });
  const tls = serverTls(config);
  const dataDir = resolve(config.dataDir);
  const holder = config.leadId ?? `${hostname()}:${config.port || randomUUID().slice(0, 8)}`;
  const { store, location } = await openStore(config.databaseUrl, dataDir, {
    lease: { holder, url: '', ttlMs: config.leaseMs },
  });
  const { leases } = store;
  log.info({ database: location, lead: leases?.holder }, 'state opened');
  const { hub, pool, orchestrator, keeper, router } = leadCore(
    config,
    store,
    createLlmClient(config, log),
    log,
  );
  // Where other hosts reach the lead: workers for its repositories (unless git HTTP is off),
  // the other leads for calls about the projects it owns.
  const reachedAt =
    config.gitHttp === 'off' && !leases
      ? undefined
      : advertised(config.advertisedUrl, config.host, log, tls ? 'https' : 'http');
  const server = await startRpcServer({
    host: config.host,
    port: config.port,
    logger: log,
    services: [LeadService],
    authToken: config.authToken,
    shutdownGraceMs: config.shutdownGraceMs,
    allowedHosts: reachedAt ? [...config.allowedHosts, reachedAt.hostname] : config.allowedHosts,
    maxMessageBytes: config.maxMessageBytes,
    interceptors: [apiErrors],
    tls,
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
