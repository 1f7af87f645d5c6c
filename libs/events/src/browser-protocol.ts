// The shapes of the JSON text frames between the edge and a browser. Event and snapshot
// shapes derive from the generated protobuf JSON types; the edge is the only producer.
import type { BlockerJson, EventJson, ProjectJson, TaskJson } from '@codeframe/proto';
import type { SnakeCase, SnakeKeys } from './snake-keys.js';

/** The camelCase names of Event's payload oneof, e.g. `taskStatusChanged`. */
export type PayloadCase = Exclude<keyof EventJson, 'projectId' | 'seq' | 'time'>;

/** One event as a browser receives it: the payload's fields beside the envelope. */
export type BrowserEvent = {
  [C in PayloadCase]: {
    type: SnakeCase<C>;
    project_id: string;
    seq: number;
    /** RFC 3339, from the time the lead persisted the event. */
    timestamp: string;
  } & SnakeKeys<NonNullable<EventJson[C]>>;
}[PayloadCase];

export type BrowserEventType = BrowserEvent['type'];

/** One event type's frame, e.g. `EventOf<'task_status_changed'>`. */
export type EventOf<T extends BrowserEventType> = Extract<BrowserEvent, { type: T }>;

/** What `GET /api/projects/<id>/snapshot` returns: the state as of event `seq`. */
export interface BrowserSnapshot {
  project: SnakeKeys<ProjectJson>;
  tasks: SnakeKeys<TaskJson>[];
  blockers: SnakeKeys<BlockerJson>[];
  seq: number;
}

export type BrowserProject = BrowserSnapshot['project'];
export type BrowserTask = BrowserSnapshot['tasks'][number];
export type BrowserBlocker = BrowserSnapshot['blockers'][number];
export type BrowserUsage = NonNullable<BrowserTask['usage']>;
export type BrowserTestSummary = NonNullable<BrowserTask['tests']>;
export type BrowserQualityGate = NonNullable<BrowserTask['gates']>[number];
export type BrowserMainVerified = NonNullable<EventOf<'project_status'>['main']>;

/**
 * Where a subscriber's missed events came from: `none` when it missed nothing, `buffer`
 * from the edge's ring, `lead` replayed by the lead because the ring no longer held them.
 */
export type Recovery = 'none' | 'buffer' | 'lead';

export type ServerFrame =
  | BrowserEvent
  | {
      type: 'subscribed';
      project_id: string;
      /** Changes when the edge restarts; seqs keep their meaning across epochs. */
      epoch: string;
      /** The last seq the edge had for the project when the subscription was made. */
      seq: number;
      recovered: Recovery;
    }
  | { type: 'unsubscribed'; project_id: string }
  | { type: 'pong' }
  | { type: 'heartbeat'; timestamp: string }
  | {
      type: 'error';
      error: string;
      project_id?: string;
      blocker_id?: string;
      /** Set when the edge itself failed: the id under which it logged the error. */
      error_id?: string;
    };

export type ClientFrame =
  | { type: 'subscribe'; project_id: string; last_seq?: number }
  | { type: 'unsubscribe'; project_id: string }
  | { type: 'ping' }
  | { type: 'answer_blocker'; blocker_id: string; answer: string };

/** Close codes the edge uses beyond the standard ones. */
export const CloseCode = {
  /** The token expired while the socket was open. */
  Unauthorized: 4001,
  /** The client sent too many malformed frames. */
  TooManyErrors: 4002,
  /** The client did not read fast enough and its queue reached the backpressure limit. */
  TooSlow: 4003,
  /** The client kept asking past a per-connection limit (subscriptions, unknown projects). */
  LimitExceeded: 4004,
} as const;
