import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { type Event, EventSchema, type TaskEvent, TaskEventSchema } from '@codeframe/proto';

// The event every benchmark sends: a real activity_update, as an agent's tool call makes
// one, whose message starts with the publish time (µs of the monotonic clock), so any
// receiver can tell its latency from the frame alone. Its browser frame is about 200 bytes.

export const BENCH_TASK_ID = 'bench-task-0001';
const TEXT = 'edit_file src/routes/todos.ts';

/** What a receiver searches for in a frame: the stamp follows it. */
export const STAMP_MARKER = Buffer.from('"message":"t=');
const SEQ_MARKER = Buffer.from('"seq":');

export function stampedMessage(stampUs: number): string {
  return `t=${stampUs} ${TEXT}`;
}

export function stampedEvent(projectId: string, seq: number, stampUs: number): Event {
  return create(EventSchema, {
    projectId,
    seq: BigInt(seq),
    time: timestampNow(),
    payload: {
      case: 'activityUpdate',
      value: { taskId: BENCH_TASK_ID, message: stampedMessage(stampUs), tool: 'edit_file' },
    },
  });
}

export function stampedTaskEvent(taskId: string, stampUs: number): TaskEvent {
  return create(TaskEventSchema, {
    taskId,
    time: timestampNow(),
    payload: {
      case: 'activityUpdate',
      value: { taskId, message: stampedMessage(stampUs), tool: 'edit_file' },
    },
  });
}

/** The stamp of an activity_update's message (stampedMessage), or undefined. */
export function messageStamp(message: string): number | undefined {
  const match = /^t=(\d+) /.exec(message);
  return match ? Number(match[1]) : undefined;
}

/** The stamp of a stamped frame in buf[start, end), or -1 when the frame carries none. */
export function readStamp(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(STAMP_MARKER, start);
  if (at < 0 || at >= end) return -1;
  return readDigits(buf, at + STAMP_MARKER.length, end);
}

/** The "seq" of a frame in buf[start, end), or -1. */
export function readSeq(buf: Buffer, start: number, end: number): number {
  const at = buf.indexOf(SEQ_MARKER, start);
  if (at < 0 || at >= end) return -1;
  return readDigits(buf, at + SEQ_MARKER.length, end);
}

function readDigits(buf: Buffer, from: number, end: number): number {
  let value = 0;
  let i = from;
  for (; i < end; i++) {
    const d = buf[i]! - 48;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  return i === from ? -1 : value;
}
