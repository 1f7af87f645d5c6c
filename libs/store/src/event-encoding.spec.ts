import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  ActivityUpdateSchema,
  type Event,
  EventSchema,
  rememberEncoding,
  TaskStatus,
  TaskStatusChangedSchema,
} from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { encodeEvent } from './event-encoding.js';

const event = (payload: Event['payload'], seq = 7n, time = new Date('2026-12-07T15:00:00.5Z')) =>
  create(EventSchema, { projectId: 'p-1', seq, time: timestampFromDate(time), payload });

const activity = create(ActivityUpdateSchema, { taskId: 't', message: 'héllo ✓', isError: true });
const status = create(TaskStatusChangedSchema, {
  taskId: 't',
  from: TaskStatus.IN_PROGRESS,
  to: TaskStatus.COMPLETED,
});

describe('encodeEvent', () => {
  it('writes what toBinary writes, byte for byte, whether or not the payload came encoded', () => {
    const cases = [
      event({ case: 'activityUpdate', value: activity }),
      event({ case: 'taskStatusChanged', value: status }, 1n, new Date(0)),
      event(
        { case: 'activityUpdate', value: activity },
        2n ** 63n,
        new Date('1969-07-20T20:17:40Z'),
      ),
      create(EventSchema, { payload: { case: 'activityUpdate', value: activity } }),
    ];
    for (const plain of cases) {
      const expected = Buffer.from(toBinary(EventSchema, plain));
      expect(Buffer.from(encodeEvent(plain))).toEqual(expected);
      const { value } = plain.payload;
      const schema = EventSchema.field[plain.payload.case!]!.message!;
      const encoded = {
        ...plain,
        payload: {
          ...plain.payload,
          value: rememberEncoding(
            fromBinary(schema, toBinary(schema, value!)),
            toBinary(schema, value!),
          ),
        },
      } as Event;
      expect(Buffer.from(encodeEvent(encoded))).toEqual(expected);
    }
  });

  it('copies the payload bytes it was given rather than encoding the payload', () => {
    // Bytes that are not what toBinary would write of the message they are noted for: copied.
    const bytes = new Uint8Array([0x12, 0x03, 0x61, 0x62, 0x63, 0x20, 0x01]); // message "abc", is_error
    const value = rememberEncoding(create(ActivityUpdateSchema, { message: 'other' }), bytes);
    const written = encodeEvent(event({ case: 'activityUpdate', value }));
    expect(Buffer.from(written).subarray(-bytes.length)).toEqual(Buffer.from(bytes));
    expect(fromBinary(EventSchema, written).payload).toMatchObject({
      case: 'activityUpdate',
      value: { message: 'abc', isError: true },
    });
  });
});
