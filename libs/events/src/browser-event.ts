import { type DescMessage, type JsonObject, type Message, toJson } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import {
  BlockerSchema,
  type Event,
  EventSchema,
  type GetProjectSnapshotResponse,
  type Project,
  ProjectSchema,
  type Task,
  TaskSchema,
} from '@codeframe/proto';
import type { BrowserEvent, BrowserSnapshot } from './browser-protocol.js';

const jsonOptions = { useProtoFieldName: true, alwaysEmitImplicit: true } as const;

/** Payload schema and proto name by the oneof case's local name. */
const payloads = new Map<string, { name: string; schema: DescMessage }>(
  EventSchema.fields.flatMap((field) =>
    field.oneof?.localName === 'payload' && field.fieldKind === 'message'
      ? [[field.localName, { name: field.name, schema: field.message }]]
      : [],
  ),
);

function messageJson(schema: DescMessage, message: Message): JsonObject {
  return toJson(schema, message, jsonOptions) as JsonObject;
}

/** An event in the browser's shape: `{type, project_id, seq, timestamp, …payload fields}`. */
export function toBrowserEvent(event: Event): BrowserEvent {
  const payload = event.payload.case ? payloads.get(event.payload.case) : undefined;
  if (!payload || !event.payload.value) {
    throw new Error(`event ${event.seq} of project ${event.projectId} has no known payload`);
  }
  return {
    type: payload.name,
    project_id: event.projectId,
    seq: Number(event.seq),
    timestamp: (event.time ? timestampDate(event.time) : new Date(0)).toISOString(),
    ...messageJson(payload.schema, event.payload.value),
  } as BrowserEvent;
}

/** The text frame sent to browsers for an event; computed once per event, sent to all. */
export function serialiseEvent(event: Event): string {
  return JSON.stringify(toBrowserEvent(event));
}

/** A project in the browser's JSON shape (proto field names, every field present). */
export function toBrowserProject(project: Project): BrowserSnapshot['project'] {
  return messageJson(ProjectSchema, project) as BrowserSnapshot['project'];
}

/** A task in the browser's JSON shape. */
export function toBrowserTask(task: Task): BrowserSnapshot['tasks'][number] {
  return messageJson(TaskSchema, task) as BrowserSnapshot['tasks'][number];
}

export function toBrowserSnapshot(snapshot: GetProjectSnapshotResponse): BrowserSnapshot {
  if (!snapshot.project) throw new Error('the lead returned a snapshot without its project');
  return {
    project: toBrowserProject(snapshot.project),
    tasks: snapshot.tasks.map(toBrowserTask),
    blockers: snapshot.blockers.map((blocker) => messageJson(BlockerSchema, blocker)),
    seq: Number(snapshot.seq),
  } as unknown as BrowserSnapshot;
}
