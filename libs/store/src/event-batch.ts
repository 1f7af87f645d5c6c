// What both event logs share: an append waiting for its batch, the event it becomes once it
// has a seq, and the error every append of a failed batch gets.
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type Event, EventSchema } from '@codeframe/proto';
import { rememberEncoding } from './event-encoding.js';
import { type EventPayload, StoreError } from './store.js';

/** An append waiting for the batch it is written in. */
export interface PendingAppend {
  projectId: string;
  payload: EventPayload;
  time: number;
  /** The lease token the appending lead held for the project, when leads share the store. */
  token?: number;
  resolve: (event: Event) => void;
  reject: (err: unknown) => void;
}

/** The event an append becomes at seq, and the bytes that are stored (and remembered). */
export function numbered(item: PendingAppend, seq: bigint): { event: Event; bytes: Uint8Array } {
  const event = create(EventSchema, {
    projectId: item.projectId,
    seq,
    time: timestampFromDate(new Date(item.time)),
    payload: item.payload,
  });
  const bytes = toBinary(EventSchema, event);
  return { event: rememberEncoding(event, bytes), bytes };
}

/** Rejects every append of a batch nothing of which was stored; a storage fault keeps its
 * code, so the lead knows to retry rather than give up. */
export function failBatch(batch: PendingAppend[], fault: unknown, cause: unknown): void {
  const reason = fault instanceof Error ? fault.message : String(fault);
  const message = `the event log could not write a batch of ${batch.length} events, none was stored: ${reason}`;
  const failure =
    fault instanceof StoreError
      ? new StoreError(fault.code, message, { cause })
      : new Error(message, { cause });
  for (const item of batch) item.reject(failure);
}
