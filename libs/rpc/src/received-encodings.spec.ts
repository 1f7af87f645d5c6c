import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ActivityUpdateSchema,
  CommitCreatedSchema,
  encodingOf,
  type TaskEvent,
  TaskEventBatchSchema,
  TaskEventSchema,
  TaskKind,
  WorkerService,
} from '@codeframe/proto';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { afterEach, describe, expect, it } from 'vitest';
import {
  batchMessages,
  createRpcTransport,
  keepingReceivedEncodings,
  preEncoded,
  type RpcServer,
  startRpcServer,
} from './index.js';
import { memoryLogger } from './rpc-server.fixture.js';

const servers: RpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A worker whose ExecuteTask streams `events` as they are (raw bytes as pre-encoded). */
async function streaming(events: (TaskEvent | Uint8Array)[]) {
  const server = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: memoryLogger().logger,
    services: [WorkerService],
    authToken: undefined,
    shutdownGraceMs: 200,
    routes(router) {
      router.service(WorkerService, {
        describe: () => ({ kind: TaskKind.TEST, capacity: 2 }),
        async *executeTask() {
          for (const event of events)
            yield event instanceof Uint8Array ? preEncoded(TaskEventSchema, event) : event;
        },
        // The same events, two a batch.
        async *executeTaskBatches() {
          const messages = events.map((e) =>
            e instanceof Uint8Array ? fromBinary(TaskEventSchema, e) : e,
          );
          for (let i = 0; i < messages.length; i += 2)
            yield* batchMessages(TaskEventBatchSchema, messages.slice(i, i + 2), true);
        },
      });
    },
  });
  servers.push(server);
  const transport = keepingReceivedEncodings(
    createRpcTransport({ baseUrl: server.url }),
    TaskEventSchema,
    'payload',
    [WorkerService.method.executeTask, WorkerService.method.executeTaskBatches],
  );
  return createClient(WorkerService, transport);
}

const request = {
  task: { id: 't1', title: 'x', projectId: 'p1' },
  repoUrl: 'file:///r',
  baseRef: 'main',
};

const activity = (message: string) =>
  create(TaskEventSchema, {
    taskId: 't1',
    time: timestampFromDate(new Date('2026-12-07T15:00:00.123Z')),
    payload: {
      case: 'activityUpdate',
      value: create(ActivityUpdateSchema, { taskId: 't1', message, isError: false }),
    },
  });

async function received(client: Awaited<ReturnType<typeof streaming>>) {
  const events: TaskEvent[] = [];
  for await (const event of client.executeTask(request)) events.push(event);
  return events;
}

describe('keepingReceivedEncodings', () => {
  it('delivers the messages the server sent, each payload with the bytes it came as', async () => {
    const sent = [
      activity('héllo ✓ \u0000 one'),
      activity('two'),
      create(TaskEventSchema, { taskId: 't1', payload: { case: 'result', value: {} } }),
    ];
    const events = await received(await streaming(sent));
    expect(events).toEqual(sent);
    for (const [i, event] of events.entries()) {
      const bytes = encodingOf(event.payload.value!);
      const value = sent[i]!.payload.value!;
      expect(bytes && Buffer.from(bytes)).toEqual(
        Buffer.from(toBinary(TaskEventSchema.field[sent[i]!.payload.case!]!.message!, value)),
      );
    }
    // Only the payload's message keeps bytes: not the event, nor its other fields.
    expect(encodingOf(events[0]!)).toBeUndefined();
    expect(encodingOf(events[0]!.time!)).toBeUndefined();
  });

  it('keeps bytes the writer did not make, which decode to the message delivered', async () => {
    // A payload with a field this version does not know: kept, as protobuf keeps it.
    const inner = new BinaryWriter()
      .tag(2, WireType.LengthDelimited)
      .string('from a newer worker')
      .tag(99, WireType.Varint)
      .int32(7)
      .finish();
    const bytes = new BinaryWriter()
      .tag(1, WireType.LengthDelimited)
      .string('t1')
      .tag(TaskEventSchema.field.activityUpdate.number, WireType.LengthDelimited)
      .bytes(inner)
      .finish();
    const [event] = await received(await streaming([bytes]));
    expect(event!.payload).toMatchObject({
      case: 'activityUpdate',
      value: { message: 'from a newer worker', $unknown: [{ no: 99 }] },
    });
    expect(Buffer.from(encodingOf(event!.payload.value!)!)).toEqual(Buffer.from(inner));
  });

  it('decodes a message naming its oneof twice as protobuf does, and keeps no bytes of it', async () => {
    const part = (value: Parameters<typeof create<typeof ActivityUpdateSchema>>[1]) =>
      toBinary(
        TaskEventSchema,
        create(TaskEventSchema, {
          payload: { case: 'activityUpdate', value: create(ActivityUpdateSchema, value) },
        }),
      );
    const commit = toBinary(
      TaskEventSchema,
      create(TaskEventSchema, {
        payload: { case: 'commitCreated', value: create(CommitCreatedSchema, { sha: 'abc' }) },
      }),
    );
    const twice = Buffer.concat([part({ taskId: 't1', tool: 'x' }), part({ message: 'second' })]);
    const [merged, last] = await received(
      await streaming([twice, Buffer.concat([part({ message: 'first' }), commit])]),
    );
    // The same member twice is merged; of two members, the last on the wire wins.
    expect(merged!.payload).toMatchObject({
      case: 'activityUpdate',
      value: { taskId: 't1', tool: 'x', message: 'second' },
    });
    expect(last!.payload).toMatchObject({ case: 'commitCreated', value: { sha: 'abc' } });
    for (const event of [merged!, last!]) expect(encodingOf(event.payload.value!)).toBeUndefined();
  });

  it('fails the stream as connect does when a message does not decode', async () => {
    // A string that is not UTF-8 (proto3 strings must be): refused, never relayed.
    const inner = new BinaryWriter()
      .tag(2, WireType.LengthDelimited)
      .bytes(new Uint8Array([0x61, 0xc3, 0x28]))
      .finish();
    const bytes = new BinaryWriter()
      .tag(TaskEventSchema.field.activityUpdate.number, WireType.LengthDelimited)
      .bytes(inner)
      .finish();
    const client = await streaming([toBinary(TaskEventSchema, activity('fine')), bytes]);
    const seen: string[] = [];
    const error = await (async () => {
      for await (const event of client.executeTask(request))
        seen.push(event.payload.case === 'activityUpdate' ? event.payload.value.message : '');
    })().catch((err: unknown) => err);
    expect(seen).toEqual(['fine']);
    expect(error).toBeInstanceOf(ConnectError);
    expect(error).toMatchObject({ code: Code.Internal });
    expect((error as ConnectError).rawMessage).toMatch(/^parse binary: /);
  });

  it('leaves the service’s other methods as they were', async () => {
    const client = await streaming([]);
    expect(await client.describe({})).toMatchObject({ kind: TaskKind.TEST, capacity: 2 });
    expect(await received(client)).toEqual([]);
  });
});

describe('keepingReceivedEncodings, of a batch', () => {
  it('keeps the bytes of the payload of every event of every batch', async () => {
    const sent = [activity('one'), activity('twö'), activity('three')];
    const client = await streaming(sent);
    const batches = [];
    for await (const batch of client.executeTaskBatches(request)) batches.push(batch);
    expect(batches.map((b) => b.events.length)).toEqual([2, 1]);
    const events = batches.flatMap((b) => b.events);
    expect(events).toEqual(sent);
    for (const [i, event] of events.entries()) {
      expect(Buffer.from(encodingOf(event.payload.value!)!)).toEqual(
        Buffer.from(toBinary(ActivityUpdateSchema, sent[i]!.payload.value as never)),
      );
    }
  });
});
