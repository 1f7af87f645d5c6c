import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  ActivityUpdateSchema,
  EventBatchSchema,
  EventSchema,
  rememberEncoding,
  TaskEventBatchSchema,
  TaskEventSchema,
} from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { BATCH_BYTES, batchMessages, readyGroups } from './message-batches.js';

const event = (seq: number, size: number) =>
  create(EventSchema, {
    projectId: 'p',
    seq: BigInt(seq),
    payload: {
      case: 'activityUpdate',
      value: create(ActivityUpdateSchema, { taskId: 't', message: 'x'.repeat(size) }),
    },
  });

describe('batchMessages', () => {
  it('splits items into batches of about a mebibyte, in order, the same in both formats', () => {
    // Ten events of 300 KB: three a batch; one larger than the limit goes alone.
    const events = [
      ...Array.from({ length: 10 }, (_, i) => event(i + 1, 300_000)),
      event(11, 1_500_000),
      event(12, 10),
    ];
    for (const binary of [true, false]) {
      const batches = batchMessages(EventBatchSchema, events, binary);
      const decoded = batches.map((b) =>
        fromBinary(EventBatchSchema, toBinary(EventBatchSchema, b)),
      );
      expect(decoded.flatMap((b) => b.events)).toEqual(events);
      expect(decoded.map((b) => b.events.length)).toEqual([3, 3, 3, 1, 1, 1]);
      for (const batch of batches.slice(0, 4)) {
        expect(toBinary(EventBatchSchema, batch).byteLength).toBeLessThanOrEqual(BATCH_BYTES + 64);
      }
    }
  });

  it('copies an item’s known encoding and puts at most 512 items in a batch', () => {
    const events = Array.from({ length: 1030 }, (_, i) => event(i + 1, 1));
    // Bytes noted for the first event that are not its own: copied, as the store's are.
    const other = toBinary(EventSchema, event(99, 3));
    rememberEncoding(events[0]!, other);
    const batches = batchMessages(EventBatchSchema, events, true);
    expect(
      batches.map((b) => fromBinary(EventBatchSchema, toBinary(EventBatchSchema, b)).events.length),
    ).toEqual([512, 512, 6]);
    const first = fromBinary(EventBatchSchema, toBinary(EventBatchSchema, batches[0]!)).events[0]!;
    expect(first.seq).toBe(99n);
  });

  it('refuses a message that is not a batch', () => {
    expect(() => batchMessages(TaskEventSchema, [], true)).toThrow(/is not a batch/);
    expect(batchMessages(TaskEventBatchSchema, [], true)).toEqual([]);
  });
});

describe('readyGroups', () => {
  async function* produce(bursts: number[]) {
    let n = 0;
    for (const burst of bursts) {
      // Each burst is ready at once; the next comes a turn of the event loop later.
      await new Promise((resolve) => setTimeout(resolve, 5));
      for (let i = 0; i < burst; i++) yield ++n;
    }
    return 'done';
  }

  it('groups what is ready together, up to max, and returns what the source returned', async () => {
    const groups: number[][] = [];
    const source = readyGroups(produce([1, 3, 7]), 4);
    let next = await source.next();
    for (; !next.done; next = await source.next()) groups.push(next.value);
    expect(groups).toEqual([[1], [2, 3, 4], [5, 6, 7, 8], [9, 10, 11]]);
    expect(next.value).toBe('done');
  });

  it('tells the source when the consumer stops early', async () => {
    let stopped = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        stopped = true;
      }
    }
    for await (const group of readyGroups(endless(), 10)) {
      expect(group).toHaveLength(10);
      break;
    }
    expect(stopped).toBe(true);
  });
});
