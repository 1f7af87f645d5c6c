import { serverSettings, startRpcServer } from '@codeframe/rpc';
import { env, loadConfig, runService } from '@codeframe/runtime';
import { startEdgeServer } from './edge-server.js';

await runService('edge', async (log) => {
  const config = loadConfig({
    // PORT serves browsers (HTTP and WebSocket); GRPC_PORT serves grpc.health.v1, which
    // needs HTTP/2 and so cannot share uWebSockets.js's port.
    ...serverSettings(7080),
    grpcPort: env.port('GRPC_PORT', 7081),
    maxFrameBytes: env.int('CODEFRAME_EDGE_MAX_FRAME_BYTES', 16 * 1024, 256, 16 * 1024 * 1024),
    maxBackpressureBytes: env.int('CODEFRAME_EDGE_MAX_BACKPRESSURE_BYTES', 1024 * 1024, 1024),
  });
  const edge = await startEdgeServer({
    host: config.host,
    port: config.port,
    logger: log,
    maxFrameBytes: config.maxFrameBytes,
    maxBackpressureBytes: config.maxBackpressureBytes,
  });
  log.info(
    {
      listener: 'http',
      port: edge.port,
      url: edge.url,
      websocket: `${edge.url.replace('http', 'ws')}/ws`,
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
    routes: () => {},
  });
  log.info({ listener: 'rpc', port: rpc.port, url: rpc.url }, 'listening');
  return {
    async stop() {
      edge.close();
      await rpc.close();
    },
  };
});
