import type { Message } from '@bufbuild/protobuf';

// A message's binary encoding, kept beside the message by whoever already holds it: the
// store, which writes and reads every event as bytes, and the lead's client of a worker's
// stream, which received each event's payload as bytes. Whoever sends or stores the message
// next copies those bytes instead of encoding it again (protobuf-es encodes by reflection,
// several microseconds a message). Messages are not changed once their encoding is kept,
// so the bytes stay true; they go when the message is collected.

const encodings = new WeakMap<Message, Uint8Array>();

/** The binary encoding this very message was read from or written as; undefined for any
 * other message, a copy of it included. */
export function encodingOf(message: Message): Uint8Array | undefined {
  return encodings.get(message);
}

/** Notes `bytes` as the encoding of `message` (they decode to exactly it). */
export function rememberEncoding<M extends Message>(message: M, bytes: Uint8Array): M {
  encodings.set(message, bytes);
  return message;
}
