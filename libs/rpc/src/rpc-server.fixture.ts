// The test harness of this lib's specs: a worker-shaped RPC server on an ephemeral port.
import { create } from '@bufbuild/protobuf';
import { ActivityUpdateSchema, TaskKind, WorkerService } from '@codeframe/proto';
import { sleep } from '@codeframe/runtime';
import { pino } from 'pino';
import { afterEach } from 'vitest';
import { type RpcServer, type RpcServerOptions, startRpcServer } from './index.js';

export const WORKER_PROTO = 'codeframe/v1/worker.proto';

const activity = (taskId: string, message: string) =>
  create(ActivityUpdateSchema, { taskId, message });

export function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { logger, lines };
}

const servers: RpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

type WorkerOptions = Partial<
  Pick<
    RpcServerOptions,
    'authToken' | 'shutdownGraceMs' | 'host' | 'allowedHosts' | 'maxMessageBytes' | 'tls'
  >
> & {
  /** Describe throws this instead of answering. */
  describeThrows?: unknown;
  /** Each ExecuteTask event's message is padded to this many characters. */
  messageChars?: number;
};

/**
 * A worker whose Describe answers (or throws `describeThrows`) and whose ExecuteTask streams
 * three events (forever when the task's title says so).
 */
export async function startWorker(options: WorkerOptions = {}) {
  const { logger, lines } = memoryLogger();
  const server = await startRpcServer({
    host: options.host ?? '127.0.0.1',
    port: 0,
    logger,
    services: [WorkerService],
    authToken: options.authToken,
    shutdownGraceMs: options.shutdownGraceMs ?? 500,
    allowedHosts: options.allowedHosts,
    maxMessageBytes: options.maxMessageBytes,
    tls: options.tls,
    routes(router) {
      router.service(WorkerService, {
        describe: () => {
          if (options.describeThrows !== undefined) throw options.describeThrows;
          return { kind: TaskKind.BACKEND, version: '1.2.3', capacity: 4, load: 0 };
        },
        async *executeTask(req, ctx) {
          const taskId = req.task?.id ?? '';
          for (let i = 0; req.task?.title === 'forever' || i < 3; i++) {
            await sleep(100, ctx.signal);
            yield {
              taskId,
              payload: {
                case: 'activityUpdate',
                value: activity(taskId, `step ${i}`.padEnd(options.messageChars ?? 0, '.')),
              },
            };
          }
        },
      });
    },
  });
  servers.push(server);
  return { server, lines };
}
