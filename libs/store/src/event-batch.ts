// What both event logs share: an append waiting for its batch, the event it becomes once it
// has a seq, and the error every append of a failed batch gets.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type Event,
  EventSchema,
  type ProjectStatus,
  rememberEncoding,
  TaskStatus,
} from '@codeframe/proto';
import { encodeEvent } from './event-encoding.js';

import { patchAssignments } from './rows.js';
import { type EventPayload, notFound, type StateChange, StoreError } from './store.js';

/** A StateChange with its values encoded for the database, before it joins a batch (so a
 * value that cannot be stored fails its own append, not everyone's). */
export interface PreparedChange {
  task?: { id: string; sets: [string, unknown][]; whileStatus?: TaskStatus };
  projectStatus?: ProjectStatus;
}

/** An append waiting for the batch it is written in. */
export interface PendingAppend {
  projectId: string;
  payload: EventPayload;
  time: number;
  /** The lease token the appending lead held for the project, when leads share the store. */
  token?: number;
  /** Written in the batch's transaction with the event. */
  change?: PreparedChange;
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
  const bytes = encodeEvent(event);
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

export function prepareChange(
  change: StateChange | undefined,
  time: number,
): PreparedChange | undefined {
  if (!change) return undefined;
  const { task, projectStatus } = change;
  return {
    projectStatus,
    task: task && {
      id: task.id,
      sets: patchAssignments(task.patch, time),
      whileStatus: task.whileStatus,
    },
  };
}

/** Why a task change wrote nothing, from the status the task has now (undefined: no such
 * task in the event's project). */
export function changeRefused(
  projectId: string,
  change: NonNullable<PreparedChange['task']>,
  status: TaskStatus | undefined,
): StoreError {
  if (status === undefined) return notFound('task', change.id);
  return new StoreError(
    'conflict',
    `task "${change.id}" of project "${projectId}" is ${TaskStatus[status]} now, not ` +
      `${TaskStatus[change.whileStatus ?? status]}: nothing was written`,
  );
}

/** Settles each append of a committed batch with its event, or the error that left it out. */
export function settle(batch: PendingAppend[], outcomes: (Event | StoreError)[]): void {
  batch.forEach((item, i) => {
    const outcome = outcomes[i]!;
    if (outcome instanceof StoreError) item.reject(outcome);
    else item.resolve(outcome);
  });
}
