import { fileURLToPath } from 'node:url';
import { createLeadClient, serverSettings, startRpcServer } from '@codeframe/rpc';
import { env, loadConfig, runService, serverTls } from '@codeframe/runtime';
import { startEdgeServer } from './edge-server.js';

await runService('edge', async (log) => {
  const config = loadConfig({
    // PORT serves browsers (HTTP and WebSocket); GRPC_PORT serves grpc.health.v1, which
    // needs HTTP/2 and so cannot share uWebSockets.js's port. Both answer the host names
    // of CODEFRAME_ALLOWED_HOSTS (serverSettings), by the one rule of every server.
    ...serverSettings(7080),
    grpcPort: env.port('GRPC_PORT', 7081),
    leadUrl: env.string('CODEFRAME_LEAD_URL', 'http://127.0.0.1:7100'),
    jwtSecret: env.optional('CODEFRAME_EDGE_JWT_SECRET'),
    allowedOrigins: env.list('CODEFRAME_EDGE_ALLOWED_ORIGINS', []),
    maxFrameBytes: env.int('CODEFRAME_EDGE_MAX_FRAME_BYTES', 16 * 1024, 256, 16 * 1024 * 1024),
    maxBackpressureBytes: env.int('CODEFRAME_EDGE_MAX_BACKPRESSURE_BYTES', 1024 * 1024, 1024),
    maxSubscriptions: env.int('CODEFRAME_EDGE_MAX_SUBSCRIPTIONS', 100, 1, 100_000),
    maxPendingSubscriptions: env.int('CODEFRAME_EDGE_MAX_PENDING_SUBSCRIPTIONS', 10, 1, 10_000),
    maxRefusedSubscriptions: env.int('CODEFRAME_EDGE_MAX_REFUSED_SUBSCRIPTIONS', 20, 0, 1_000_000),
    maxOpeningProjects: env.int('CODEFRAME_EDGE_MAX_OPENING_PROJECTS', 64, 1, 100_000),
    heartbeatMs: env.int('CODEFRAME_EDGE_HEARTBEAT_MS', 15_000, 100),
    ringCapacity: env.int('CODEFRAME_EDGE_RING_EVENTS', 10_000, 1, 10_000_000),
    upstreamGraceMs: env.int('CODEFRAME_EDGE_UPSTREAM_GRACE_MS', 30_000, 0),
    feedWaitMs: env.int('CODEFRAME_EDGE_FEED_WAIT_MS', 1_000, 0, 60_000),
  });
  const edge = await startEdgeServer({
    ...config,
    logger: log,
    lead: createLeadClient({ baseUrl: config.leadUrl, token: config.authToken }),
    dashboardDir: fileURLToPath(new URL('../web/dist/', import.meta.url)),
  });
  log.info(
    {
      listener: 'http',
      port: edge.port,
      url: edge.url,
      websocket: `${edge.url.replace('http', 'ws')}/ws`,
      lead: config.leadUrl,
      epoch: edge.epoch,
    },
    'listening',
  );
  const rpc = await startRpcServer({
    host: config.host,
    port: config.grpcPort,
    logger: log,
    services: [],
    authToken: config.authToken,
    shutdownGraceMs: config.shutdownGraceMs,
    allowedHosts: config.allowedHosts,
    maxMessageBytes: config.maxMessageBytes,
    routes: () => {},
    tls: serverTls(config),
  });
  log.info({ listener: 'rpc', port: rpc.port, url: rpc.url }, 'listening');
  return {
    async stop() {
      edge.close();
      await rpc.close();
    },
  };
});
