import { LeadService } from '@codeframe/proto';
import { serverSettings, startRpcServer } from '@codeframe/rpc';
import { loadConfig, runService } from '@codeframe/runtime';
import { leadService } from './lead-service.js';
import { ProjectRegistry } from './project-registry.js';

await runService('lead', async (log) => {
  const config = loadConfig(serverSettings(7100));
  const projects = new ProjectRegistry();
  const server = await startRpcServer({
    host: config.host,
    port: config.port,
    logger: log,
    services: [LeadService],
    authToken: config.authToken,
    shutdownGraceMs: config.shutdownGraceMs,
    routes: (router) => router.service(LeadService, leadService(projects)),
  });
  log.info({ listener: 'rpc', port: server.port, url: server.url }, 'listening');
  return { stop: () => server.close() };
});
