import { create } from '@bufbuild/protobuf';
import {
  ActivityUpdateSchema,
  ExecuteTaskRequestSchema,
  type TaskEvent,
  TaskEventBatchSchema,
  TaskEventSchema,
  TaskKind,
  WorkerService,
} from '@codeframe/proto';
import { batchMessages, createRpcClient, type RpcServer, startRpcServer } from '@codeframe/rpc';
import { silentLogger } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterEach, describe, expect, it } from 'vitest';
import { taskStream } from './task-stream.js';

const servers: RpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const event = (message: string) =>
  create(TaskEventSchema, {
    taskId: 't1',
    payload: {
      case: 'activityUpdate',
      value: create(ActivityUpdateSchema, { taskId: 't1', message }),
    },
  });

const request = create(ExecuteTaskRequestSchema, {
  task: { id: 't1', title: 'x', projectId: 'p1', kind: TaskKind.BACKEND },
  repoUrl: 'file:///r',
  baseRef: 'main',
});

/** A worker streaming `events` (then `fail`), with ExecuteTaskBatches (two a batch) or not. */
async function worker(events: TaskEvent[], options: { batches: boolean; fail?: ConnectError }) {
  const calls: string[] = [];
  const cancelled: string[] = [];
  async function* execute(name: string, signal: AbortSignal) {
    calls.push(name);
    signal.addEventListener('abort', () => cancelled.push(name));
    for (const e of events) yield e;
    if (options.fail) throw options.fail;
  }
  const server = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    services: [WorkerService],
    authToken: undefined,
    shutdownGraceMs: 200,
    routes: (router) =>
      router.service(WorkerService, {
        executeTask: (_req, ctx) => execute('ExecuteTask', ctx.signal),
        ...(options.batches
          ? {
              async *executeTaskBatches(_req, ctx) {
                const all: TaskEvent[] = [];
                for await (const e of execute('ExecuteTaskBatches', ctx.signal)) {
                  all.push(e);
                  if (all.length === 2)
                    yield* batchMessages(TaskEventBatchSchema, all.splice(0), true);
                }
                yield* batchMessages(TaskEventBatchSchema, all, true);
              },
            }
          : {}),
      }),
  });
  servers.push(server);
  return { client: createRpcClient(WorkerService, { baseUrl: server.url }), calls, cancelled };
}

async function all(stream: AsyncGenerator<TaskEvent>) {
  const got: string[] = [];
  for await (const e of stream)
    got.push(e.payload.case === 'activityUpdate' ? e.payload.value.message : '');
  return got;
}

describe('taskStream', () => {
  it('reads a worker’s batches as one stream of its events, in order', async () => {
    const { client, calls } = await worker(['a', 'b', 'c'].map(event), { batches: true });
    expect(await all(taskStream(client, request, new AbortController().signal))).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(calls).toEqual(['ExecuteTaskBatches']);
  });

  it('asks a worker without ExecuteTaskBatches for ExecuteTask instead', async () => {
    const { client, calls } = await worker(['a', 'b', 'c'].map(event), { batches: false });
    expect(await all(taskStream(client, request, new AbortController().signal))).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(calls).toEqual(['ExecuteTask']);
  });

  it('throws a failure after events as it came, without asking again', async () => {
    const fail = new ConnectError('worker gone', Code.Unimplemented);
    const { client, calls } = await worker(['a', 'b'].map(event), { batches: true, fail });
    const got: string[] = [];
    const error = await (async () => {
      for await (const e of taskStream(client, request, new AbortController().signal))
        got.push(e.payload.case === 'activityUpdate' ? e.payload.value.message : '');
    })().catch((err: unknown) => err);
    expect(got).toEqual(['a', 'b']);
    expect(ConnectError.from(error).code).toBe(Code.Unimplemented);
    expect(calls).toEqual(['ExecuteTaskBatches']);
  });

  it('ends the worker’s call when the reader stops and aborts its signal', async () => {
    const { client, cancelled } = await worker(['a', 'b', 'c', 'd'].map(event), { batches: true });
    const controller = new AbortController();
    for await (const _ of taskStream(client, request, controller.signal)) break;
    controller.abort();
    await expect.poll(() => cancelled).toEqual(['ExecuteTaskBatches']);
  });
});
