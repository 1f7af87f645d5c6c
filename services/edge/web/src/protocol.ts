// Type-only view of the browser protocol. Every shape comes from the contracts
// (libs/events/src/browser-protocol.ts, derived from proto/codeframe/v1/*.proto); the
// aliases below only name the parts the dashboard uses. `import type` keeps protobuf out
// of the bundle.
import type {
  BrowserEvent,
  BrowserEventType,
  BrowserSnapshot,
  ClientFrame,
  Recovery,
  ServerFrame,
  SnakeKeys,
} from '@codeframe/events';
import type { ListProjectsResponseJson } from '@codeframe/proto';

export type { BrowserEvent, BrowserEventType, BrowserSnapshot, ClientFrame, Recovery, ServerFrame };

export type Project = BrowserSnapshot['project'];
export type Task = BrowserSnapshot['tasks'][number];
export type Blocker = BrowserSnapshot['blockers'][number];
export type Usage = NonNullable<Task['usage']>;
export type TestSummary = NonNullable<Task['tests']>;
export type QualityGate = NonNullable<Task['gates']>[number];

export type TaskStatus = NonNullable<Task['status']>;
export type TaskKind = NonNullable<Task['kind']>;
export type ProjectStatus = NonNullable<Project['status']>;
export type BlockerStatus = NonNullable<Blocker['status']>;

/** One event type's frame, e.g. `EventOf<'task_status_changed'>`. */
export type EventOf<T extends BrowserEventType> = Extract<BrowserEvent, { type: T }>;
export type AgentState = NonNullable<EventOf<'agent_status_changed'>['state']>;
export type FileChangeKind = NonNullable<EventOf<'file_changed'>['change']>;

/** A server frame that is not an event. */
export type ControlFrame = Exclude<ServerFrame, BrowserEvent>;
export type SubscribedFrame = Extract<ServerFrame, { type: 'subscribed' }>;
export type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;

/** What `GET /api/projects` returns. */
export type ProjectList = SnakeKeys<ListProjectsResponseJson>;
