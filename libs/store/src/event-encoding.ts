import { toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { type Event, EventSchema, encodingOf } from '@codeframe/proto';

// The bytes the store writes for an event. Most events are a worker's, relayed as they
// came: the lead's client of a worker's stream keeps each payload's encoding as it was
// received (libs/rpc, received-encodings.ts), and the event is written as its own three
// fields followed by those bytes, which protobuf-es would otherwise encode again by
// reflection (the larger part of what the lead spent on an event). Protobuf reads an
// encoding field by field, so the result decodes to the same event; with the fields in
// number order it is byte for byte what toBinary writes for the same payload encoding.

const FIELD = {
  projectId: EventSchema.field.projectId.number,
  seq: EventSchema.field.seq.number,
  time: EventSchema.field.time.number,
  seconds: TimestampSchema.field.seconds.number,
  nanos: TimestampSchema.field.nanos.number,
};

/** The binary encoding of an event: its payload's known encoding copied, when there is one. */
export function encodeEvent(event: Event): Uint8Array {
  const { payload, time } = event;
  const member = payload.case === undefined ? undefined : EventSchema.field[payload.case];
  const bytes = payload.value && encodingOf(payload.value);
  if (!member || !bytes) return toBinary(EventSchema, event);
  const writer = new BinaryWriter();
  if (event.projectId !== '')
    writer.tag(FIELD.projectId, WireType.LengthDelimited).string(event.projectId);
  if (event.seq !== 0n) writer.tag(FIELD.seq, WireType.Varint).uint64(event.seq);
  if (time) {
    writer.tag(FIELD.time, WireType.LengthDelimited).fork();
    if (time.seconds !== 0n) writer.tag(FIELD.seconds, WireType.Varint).int64(time.seconds);
    if (time.nanos !== 0) writer.tag(FIELD.nanos, WireType.Varint).int32(time.nanos);
    writer.join();
  }
  return writer.tag(member.number, WireType.LengthDelimited).bytes(bytes).finish();
}
