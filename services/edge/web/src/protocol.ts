// Type-only view of the browser protocol. Every shape comes from the contracts
// (libs/events/src/browser-protocol.ts, derived from proto/codeframe/v1/*.proto); the
// aliases below only name the parts the dashboard uses.
import type {
  BrowserBlocker,
  BrowserEvent,
  BrowserEventType,
  BrowserProject,
  BrowserQualityGate,
  BrowserSnapshot,
  BrowserTask,
  ClientFrame,
  EventOf,
  Recovery,
  ServerFrame,
  SnakeKeys,
} from '@codeframe/events/view';
import type { ListProjectsResponseJson } from '@codeframe/proto';

export type { BrowserEvent, BrowserEventType, BrowserSnapshot, ClientFrame, Recovery, ServerFrame };

export type Project = BrowserProject;
export type Task = BrowserTask;
export type Blocker = BrowserBlocker;
export type QualityGate = BrowserQualityGate;

export type TaskStatus = NonNullable<Task['status']>;
export type TaskKind = NonNullable<Task['kind']>;
export type ProjectStatus = NonNullable<Project['status']>;
export type BlockerStatus = NonNullable<Blocker['status']>;

export type AgentState = NonNullable<EventOf<'agent_status_changed'>['state']>;
export type FileChangeKind = NonNullable<EventOf<'file_changed'>['change']>;

/** A server frame that is not an event. */
export type ControlFrame = Exclude<ServerFrame, BrowserEvent>;
export type SubscribedFrame = Extract<ServerFrame, { type: 'subscribed' }>;
export type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;

/** What `GET /api/projects` returns. */
export type ProjectList = SnakeKeys<ListProjectsResponseJson>;
