import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  type Event,
  type EventBatch,
  EventBatchSchema,
  EventSchema,
  encodingOf,
} from '@codeframe/proto';
import { preEncoded } from '@codeframe/rpc';

// What WatchEventBatches sends for a batch of the event hub (EventHub.watchBatches): the
// events in messages of about 1 MiB at most, so that a client with gRPC's usual 4 MiB
// limit on a message reads them. In the binary format a message is the events' stored
// encodings one after the other, each as field 1 (a repeated field is its elements'
// fields in a row), so nothing is encoded again; a JSON client gets them as messages.

/** Events per message, at most (lead.proto). */
export const BATCH_EVENTS = 512;
/** Bytes of events per message, about: a larger event goes alone. */
export const BATCH_BYTES = 1 << 20;

const EVENTS = EventBatchSchema.field.events.number;

/** The messages that carry `events`, in order; `binary` when the client reads protobuf. */
export function batchMessages(events: Event[], binary: boolean): EventBatch[] {
  const messages: EventBatch[] = [];
  let part: { event: Event; bytes: Uint8Array }[] = [];
  let size = 0;
  const flush = () => {
    if (part.length === 0) return;
    messages.push(
      binary ? encoded(part) : create(EventBatchSchema, { events: part.map((p) => p.event) }),
    );
    part = [];
    size = 0;
  };
  for (const event of events) {
    const bytes = encodingOf(event) ?? toBinary(EventSchema, event);
    if (size + bytes.byteLength > BATCH_BYTES) flush();
    part.push({ event, bytes });
    size += bytes.byteLength;
  }
  flush();
  return messages;
}

function encoded(part: { bytes: Uint8Array }[]): EventBatch {
  const writer = new BinaryWriter();
  for (const { bytes } of part) writer.tag(EVENTS, WireType.LengthDelimited).bytes(bytes);
  return preEncoded(EventBatchSchema, writer.finish());
}
