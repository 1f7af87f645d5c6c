import { TaskKind, WorkerService } from '@codeframe/proto';
import { startRpcServer } from '@codeframe/rpc';
import { loadConfig, runService } from '@codeframe/runtime';
import { Capacity } from './capacity.js';
import { workerService } from './worker-service.js';
import { workerSettings } from './worker-settings.js';

export interface WorkerDefinition {
  /** Service name in logs, e.g. "worker-backend". */
  name: string;
  kind: TaskKind;
  version: string;
  defaultPort: number;
}

/** The main of every worker service: config, the RPC server, and SIGTERM handling. */
export function runWorker(definition: WorkerDefinition): Promise<void> {
  return runService(definition.name, async (log) => {
    const config = loadConfig(workerSettings(definition.defaultPort));
    const capacity = new Capacity(config.capacity);
    const identity = {
      kind: definition.kind,
      version: definition.version,
      model: config.model,
      workerId: config.workerId ?? '',
    };
    const server = await startRpcServer({
      host: config.host,
      port: config.port,
      logger: log,
      services: [WorkerService],
      authToken: config.authToken,
      shutdownGraceMs: config.shutdownGraceMs,
      routes: (router) => router.service(WorkerService, workerService(identity, capacity)),
    });
    // The port is known only now (PORT=0 picks one); Describe reads the identity per call.
    identity.workerId ||= `${TaskKind[definition.kind].toLowerCase()}@${config.host}:${server.port}`;
    log.info(
      {
        listener: 'rpc',
        port: server.port,
        url: server.url,
        workerId: identity.workerId,
        capacity: config.capacity,
      },
      'listening',
    );
    return { stop: () => server.close() };
  });
}
