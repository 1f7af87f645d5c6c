import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ActivityUpdateSchema, EventBatchSchema, EventSchema } from '@codeframe/proto';
import { expect, it } from 'vitest';
import { BATCH_BYTES, batchMessages } from './event-batches.js';

const event = (seq: number, size: number) =>
  create(EventSchema, {
    projectId: 'p',
    seq: BigInt(seq),
    payload: {
      case: 'activityUpdate',
      value: create(ActivityUpdateSchema, { taskId: 't', message: 'x'.repeat(size) }),
    },
  });

it('splits a batch into messages of about a mebibyte, in order, the same in both formats', () => {
  // Ten events of 300 KB: three or four a message; one event larger than the limit goes alone.
  const events = [
    ...Array.from({ length: 10 }, (_, i) => event(i + 1, 300_000)),
    event(11, 1_500_000),
    event(12, 10),
  ];
  for (const binary of [true, false]) {
    const messages = batchMessages(events, binary);
    const decoded = messages.map((m) =>
      fromBinary(EventBatchSchema, toBinary(EventBatchSchema, m)),
    );
    expect(decoded.flatMap((m) => m.events)).toEqual(events);
    expect(decoded.map((m) => m.events.length)).toEqual([3, 3, 3, 1, 1, 1]);
    for (const message of messages.slice(0, 4)) {
      expect(toBinary(EventBatchSchema, message).byteLength).toBeLessThanOrEqual(BATCH_BYTES + 64);
    }
  }
});
