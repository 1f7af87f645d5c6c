// A WorkerService that does no work: each ExecuteTask streams stamped activity_update
// events as fast as the caller takes them (or at a set rate), as its task's description
// says, then ends FAILED, since it pushed no branch the lead could merge; ExecuteTaskBatches
// streams the same grouped as they are ready, as a real worker does. It feeds the pipeline
// benchmark through the real lead, and is the bare-stream ceiling when a client calls it
// directly.
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import {
  type ExecuteTaskRequest,
  type TaskEvent,
  TaskEventBatchSchema,
  TaskEventSchema,
  TaskKind,
  TaskOutcome,
  TaskResultSchema,
  TaskStatus,
  TaskStatusChangedSchema,
  WorkerService,
} from '@codeframe/proto';
import {
  batchMessages,
  type RpcServer,
  readyGroups,
  startRpcServer,
  wantsBinary,
} from '@codeframe/rpc';
import { silentLogger, sleep } from '@codeframe/runtime';
import { serveRequests } from '../harness/bench-child.js';
import { monotonicMicros } from '../harness/bench-clock.js';
import { stampedTaskEvent } from '../harness/stamped-event.js';
import { parseStreamSpec, type StreamSpec } from './stream-spec.js';

export interface StreamReport {
  taskId: string;
  produced: number;
  firstStampUs: number;
  lastStampUs: number;
  done: boolean;
}

const streams = new Map<string, StreamReport>();
let server: RpcServer | undefined;

async function* stream(taskId: string, spec: StreamSpec, signal: AbortSignal) {
  const report: StreamReport = {
    taskId,
    produced: 0,
    firstStampUs: 0,
    lastStampUs: 0,
    done: false,
  };
  streams.set(taskId, report);
  const stamp = () => {
    const now = monotonicMicros();
    if (report.firstStampUs === 0) report.firstStampUs = now;
    report.lastStampUs = now;
    report.produced++;
    return now;
  };
  try {
    if (spec.kind === 'burst') {
      const until = monotonicMicros() + spec.seconds * 1e6;
      while (!signal.aborted && monotonicMicros() < until) {
        yield stampedTaskEvent(taskId, stamp());
        if (report.produced % 256 === 0) await yieldToLoop();
      }
    } else {
      const start = monotonicMicros();
      for (let i = 0; i < spec.count && !signal.aborted; i++) {
        const waitUs = start + (i * 1e6) / spec.perSecond - monotonicMicros();
        if (waitUs > 1000) await sleep(waitUs / 1000, signal).catch(() => {});
        yield stampedTaskEvent(taskId, stamp());
      }
    }
  } finally {
    report.done = true;
  }
}

/** One task's stream: a status change, the stamped events its spec asks for, the result. */
async function* execute(
  req: ExecuteTaskRequest,
  ctx: { signal: AbortSignal },
): AsyncGenerator<TaskEvent> {
  const task = req.task!;
  const spec = parseStreamSpec(task.description) ?? { kind: 'burst', seconds: 1 };
  const event = (payload: TaskEvent['payload']) =>
    create(TaskEventSchema, { taskId: task.id, time: timestampNow(), payload });
  yield event({
    case: 'taskStatusChanged',
    value: create(TaskStatusChangedSchema, {
      taskId: task.id,
      from: TaskStatus.ASSIGNED,
      to: TaskStatus.IN_PROGRESS,
      attempt: req.attempt,
    }),
  });
  yield* stream(task.id, spec, ctx.signal);
  yield event({
    case: 'result',
    value: create(TaskResultSchema, {
      outcome: TaskOutcome.FAILED,
      branch: req.branch,
      error:
        'synthetic benchmark worker: the stream ended and no branch was pushed, so there is nothing to merge',
    }),
  });
}

serveRequests(
  {
    async listen() {
      server = await startRpcServer({
        host: '127.0.0.1',
        port: 0,
        logger: silentLogger,
        services: [WorkerService],
        authToken: undefined,
        shutdownGraceMs: 500,
        routes: (router) =>
          router.service(WorkerService, {
            describe: () => ({
              kind: TaskKind.BACKEND,
              version: 'bench',
              capacity: 64,
              load: 0,
              workerId: 'synthetic-worker',
              model: 'none',
            }),
            executeTask: execute,
            // The same events, grouped as they are ready, as a real worker sends them.
            async *executeTaskBatches(req, ctx) {
              const binary = wantsBinary(ctx.requestHeader.get('content-type'));
              for await (const group of readyGroups(execute(req, ctx))) {
                yield* batchMessages(TaskEventBatchSchema, group, binary);
              }
            },
          }),
      });
      return { port: server.port, url: server.url };
    },
    reset: () => streams.clear(),
    report: () => [...streams.values()],
  },
  () => server?.close(),
);
