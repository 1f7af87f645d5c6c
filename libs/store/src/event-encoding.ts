import type { Event } from '@codeframe/proto';

// The store encodes every event it appends (that encoding is what it writes) and decodes
// every event it reads; it keeps the bytes beside the event, so that whoever sends the event
// on in the binary format (the lead's WatchEvents) need not encode it again. Events are not
// changed once stored, so the bytes stay true; they go when the event is collected.

const encodings = new WeakMap<Event, Uint8Array>();

/** The binary encoding the store wrote or read this event as; undefined for any other. */
export function storedEncoding(event: Event): Uint8Array | undefined {
  return encodings.get(event);
}

/** Notes the encoding of an event the store wrote or read. */
export function rememberEncoding(event: Event, bytes: Uint8Array): Event {
  encodings.set(event, bytes);
  return event;
}
