import { resolve } from 'node:path';
import { LeadService } from '@codeframe/proto';
import { serverSettings, startRpcServer } from '@codeframe/rpc';
import { env, loadConfig, runService } from '@codeframe/runtime';
import { openSqliteStore } from '@codeframe/store';
import { leadService } from './lead-service.js';

await runService('lead', async (log) => {
  const config = loadConfig({
    ...serverSettings(7100),
    dataDir: env.string('CODEFRAME_DATA_DIR', '.codeframe'),
  });
  const database = resolve(config.dataDir, 'lead.sqlite');
  const store = await openSqliteStore(database);
  log.info({ database }, 'state opened');
  const server = await startRpcServer({
    host: config.host,
    port: config.port,
    logger: log,
    services: [LeadService],
    authToken: config.authToken,
    shutdownGraceMs: config.shutdownGraceMs,
    routes: (router) => router.service(LeadService, leadService(store)),
  });
  log.info({ listener: 'rpc', port: server.port, url: server.url }, 'listening');
  return {
    async stop() {
      await server.close();
      await store.close();
    },
  };
});
