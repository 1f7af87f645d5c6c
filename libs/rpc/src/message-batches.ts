import {
  create,
  type DescMessage,
  type Message,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { encodingOf } from '@codeframe/proto';
import { preEncoded } from './pre-encoded.js';

// Streams whose messages group many small ones (WatchEventBatches of events, ExecuteTaskBatches
// of a task's events): a batch is a message whose one field is a repeated message, and
// costs connect and HTTP/2 what one message costs, however many it carries. Batches are
// kept to about 1 MiB, so that a client with gRPC's usual 4 MiB limit on a message reads
// them. In the binary format a batch is its items' encodings one after the other, each as
// the field (a repeated field is its elements' fields in a row): an item whose encoding is
// known (encodingOf, the store's events) is not encoded again.

/** Items per batch, at most (the protos promise it). */
export const BATCH_ITEMS = 512;
/** Bytes of items per batch, about: a larger item goes alone. */
export const BATCH_BYTES = 1 << 20;

/** The batches of `schema` that carry `items`, in order; `binary` when the client reads
 * protobuf (a JSON client gets the messages themselves). */
export function batchMessages<B extends DescMessage>(
  schema: B,
  items: readonly Message[],
  binary: boolean,
): MessageShape<B>[] {
  const field = schema.fields[0];
  if (schema.fields.length !== 1 || field?.fieldKind !== 'list' || field.listKind !== 'message')
    throw new Error(`${schema.typeName} is not a batch: one repeated message field`);
  const batches: MessageShape<B>[] = [];
  let part: { item: Message; bytes: Uint8Array }[] = [];
  let size = 0;
  const flush = () => {
    if (part.length === 0) return;
    if (binary) {
      const writer = new BinaryWriter();
      for (const { bytes } of part) writer.tag(field.number, WireType.LengthDelimited).bytes(bytes);
      batches.push(preEncoded(schema, writer.finish()));
    } else {
      batches.push(create(schema, { [field.localName]: part.map((p) => p.item) } as never));
    }
    part = [];
    size = 0;
  };
  for (const item of items) {
    const bytes = encodingOf(item) ?? toBinary(field.message, item);
    if (size + bytes.byteLength > BATCH_BYTES || part.length === BATCH_ITEMS) flush();
    part.push({ item, bytes });
    size += bytes.byteLength;
  }
  flush();
  return batches;
}

/**
 * The items of `source` in groups of those ready together: a group is the next item and
 * every one after it that comes before the event loop turns (what one synchronous burst of
 * work produced), up to `max`. A consumer that keeps up gets them one by one, as soon as
 * each comes; a fast producer fills groups. Returns what the source returned.
 */
export async function* readyGroups<T, R>(
  source: AsyncIterator<T, R>,
  max = BATCH_ITEMS,
): AsyncGenerator<T[], R | undefined> {
  let pending = source.next();
  try {
    while (true) {
      const first = await pending;
      if (first.done) return first.value;
      const group = [first.value];
      pending = source.next();
      // One turn of the event loop for the whole group: what is ready before it joins.
      const turned = turn();
      while (group.length < max) {
        const next = await Promise.race([pending, turned]);
        if (next === TURNED) break;
        if (next.done) {
          yield group;
          return next.value;
        }
        group.push(next.value);
        pending = source.next();
      }
      yield group;
    }
  } finally {
    // Stopped early: the source is told (a task's stream cancels its work).
    void pending.catch(() => {});
    await source.return?.();
  }
}

const TURNED = Symbol('turned');
const turn = () => new Promise<typeof TURNED>((resolve) => setImmediate(resolve, TURNED));
