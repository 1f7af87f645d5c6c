import { resolve } from 'node:path';
import { createLlmClient } from '@codeframe/llm';
import { TaskKind, WorkerService } from '@codeframe/proto';
import { startRpcServer } from '@codeframe/rpc';
import { loadConfig, runService } from '@codeframe/runtime';
import type { AgentRole } from './agent-role.js';
import { Capacity } from './capacity.js';
import { bwrapAvailable } from './sandbox.js';
import { workerService } from './worker-service.js';
import { workerSettings } from './worker-settings.js';

export interface WorkerDefinition {
  /** Service name in logs, e.g. "worker-backend". */
  name: string;
  version: string;
  defaultPort: number;
  role: AgentRole;
}

/** The main of every worker service: config, the LLM client, the RPC server, SIGTERM. */
export function runWorker(definition: WorkerDefinition): Promise<void> {
  const { role } = definition;
  return runService(definition.name, async (log) => {
    const config = loadConfig(workerSettings(definition.defaultPort));
    if (config.sandbox === 'bwrap' && !(await bwrapAvailable())) {
      throw new Error(
        'bubblewrap (bwrap) is not installed or cannot create a sandbox here: install it (apt-get install bubblewrap), or set CODEFRAME_SANDBOX=none to run commands unsandboxed',
      );
    }
    if (config.sandbox === 'none')
      log.warn('CODEFRAME_SANDBOX=none: task commands will run without a sandbox');
    const kind = TaskKind[role.kind].toLowerCase();
    const identity = {
      kind: role.kind,
      version: definition.version,
      model: config.model,
      workerId: config.workerId ?? '',
    };
    const capacity = new Capacity(config.capacity);
    const llm = createLlmClient(config, log);
    const runtime = {
      identity,
      capacity,
      role,
      llm,
      sandbox: config.sandbox,
      workDir: config.workDir ? resolve(config.workDir) : '',
      limits: {
        maxAttempts: config.maxAttempts,
        maxTurns: config.maxTurns,
        maxCostUsd: 0,
        deadlineMs: config.taskDeadlineMs,
        commandTimeoutMs: config.commandTimeoutMs,
        testTimeoutMs: config.testTimeoutMs,
        maxOutputBytes: config.maxOutputBytes,
      },
    };
    const server = await startRpcServer({
      host: config.host,
      port: config.port,
      logger: log,
      services: [WorkerService],
      authToken: config.authToken,
      shutdownGraceMs: config.shutdownGraceMs,
      routes: (router) => router.service(WorkerService, workerService(runtime)),
    });
    // The port is known only now (PORT=0 picks one); Describe reads the identity per call.
    identity.workerId ||= `${kind}@${config.host}:${server.port}`;
    runtime.workDir ||= resolve('.codeframe', 'work', identity.workerId.replace(/[^\w.-]+/g, '_'));
    log.info(
      {
        listener: 'rpc',
        port: server.port,
        url: server.url,
        workerId: identity.workerId,
        capacity: config.capacity,
        model: config.model,
        sandbox: config.sandbox,
      },
      'listening',
    );
    return { stop: () => server.close() };
  });
}
