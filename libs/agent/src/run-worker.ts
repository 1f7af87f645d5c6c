import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLlmClient } from '@codeframe/llm';
import { TaskKind, WorkerService } from '@codeframe/proto';
import { startRpcServer } from '@codeframe/rpc';
import { loadConfig, runService, serverTls } from '@codeframe/runtime';
import type { AgentRole } from './agent-role.js';
import { Capacity } from './capacity.js';
import { contextSettings } from './context-settings.js';
import { Sandbox } from './sandbox.js';
import { sandboxSettings } from './sandbox-settings.js';
import { SAVE_TIMEOUT_MS } from './save-work.js';
import { describeEnvironment, probeToolchain } from './toolchain.js';
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
    if (config.sandbox === 'none')
      log.warn('CODEFRAME_SANDBOX=none: task commands will run without a sandbox');
    // The sandbox's own files are the process's; the package cache outlives it.
    const stateDir = await mkdtemp(join(tmpdir(), `codeframe-${definition.name}-`));
    // The package cache defaults to <work dir>/cache, or one .codeframe/cache for the
    // workers of this folder when they keep their default work dirs.
    const cacheRoot = config.workDir ? resolve(config.workDir) : resolve('.codeframe');
    const settings = await sandboxSettings(config, { workDir: cacheRoot, stateDir }, log);
    const sandbox = await Sandbox.create(settings).catch(async (err) => {
      await rm(stateDir, { recursive: true, force: true });
      throw err;
    });
    const probeDir = join(stateDir, 'probe');
    await mkdir(probeDir);
    const toolchain = await probeToolchain(sandbox, probeDir);
    const environment = describeEnvironment(toolchain, sandbox.network);
    log.info(
      {
        sandbox: sandbox.mode,
        kernelLimits: sandbox.kernelLimits,
        allowedHosts: sandbox.network,
        cache: sandbox.settings.cacheDir,
        toolchain: toolchain.map((t) => `${t.name} ${t.version}`),
      },
      'sandbox ready',
    );
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
      sandbox,
      toolchain,
      environment,
      workDir: config.workDir ? resolve(config.workDir) : '',
      limits: {
        maxAttempts: config.maxAttempts,
        maxTurns: config.maxTurns,
        maxCostUsd: config.maxCostUsd,
        deadlineMs: config.taskDeadlineMs,
        commandTimeoutMs: config.commandTimeoutMs,
        testTimeoutMs: config.testTimeoutMs,
        maxOutputBytes: config.maxOutputBytes,
        stuck: { nudgeAfter: config.stuckNudgeAfter, stopAfter: config.stuckStopAfter },
      },
      context: contextSettings(config),
      browserCheck: {
        enabled: config.browserCheck === 'on',
        timeoutMs: config.browserCheckTimeoutMs,
      },
    };
    const server = await startRpcServer({
      host: config.host,
      port: config.port,
      logger: log,
      services: [WorkerService],
      authToken: config.authToken,
      shutdownGraceMs: config.shutdownGraceMs,
      allowedHosts: config.allowedHosts,
      maxMessageBytes: config.maxMessageBytes,
      routes: (router) => router.service(WorkerService, workerService(runtime)),
      tls: serverTls(config),
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
    return {
      stop: async () => {
        await server.close();
        // A task whose call was cancelled still pushes its work and removes its worktree:
        // the process waits for that (its git children would outlive it otherwise).
        if (!(await capacity.idle(SAVE_TIMEOUT_MS + 5_000)))
          log.warn({ tasks: capacity.load }, 'tasks still saving their work at exit');
        await sandbox.close();
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  });
}
