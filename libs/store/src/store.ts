// The lead's durable state behind one asynchronous interface. SQLite implements it today and
// PostgreSQL will later, so nothing here may assume a particular database: every
// implementation runs the same contract suite (store.contract.ts).
import type {
  Blocker,
  Event,
  Project,
  ProjectStatus,
  QualityGate,
  Task,
  TaskKind,
  TaskStatus,
  TestSummary,
  UsageTotals,
} from '@codeframe/proto';

export interface NewProject {
  /** Its id, when the caller made one first (the lead creates the project's repository
   * before its row); a fresh UUID when absent. */
  id?: string;
  name: string;
  /** The product spec, Markdown. */
  prd: string;
  /** Without credentials: it is shown to every client. */
  repoUrl: string;
  /** The repository's canonical identity; no two projects share one (conflict). */
  repoKey?: string;
  /** Kept apart from the project and returned only by getRepoCredentials. */
  repoCredentials?: RepoCredentials;
  /** 0 means no budget. */
  budgetUsd: number;
  /** 0 means the lead's default. */
  maxConcurrency: number;
  /** Whether each completed task is reviewed before it merges; absent: it is. */
  review?: boolean;
}

/** What git needs to reach a private repository; never part of a Project. */
export interface RepoCredentials {
  username: string;
  password: string;
}

/** One task as the planner wrote it, before it has an id. */
export interface PlannedTask {
  /** Stable and unique within the plan, e.g. "api-server". */
  key: string;
  title: string;
  description: string;
  kind: TaskKind;
  /** Keys of other tasks in the same plan. */
  dependsOn: string[];
  acceptanceCriteria: string[];
}

/** The fields of a task that change while it runs; absent fields are left as they are. */
export interface TaskPatch {
  status?: TaskStatus;
  worker?: string;
  commitSha?: string;
  mergeSha?: string;
  error?: string;
  tests?: TestSummary;
  attempt?: number;
  /** What the task delivered, for its dependents. */
  summary?: string;
  filesChanged?: string[];
  /** The latest result of each quality gate, replacing the list. */
  gates?: QualityGate[];
}

/** One dispatch of a task to a worker. */
export interface Attempt {
  id: string;
  taskId: string;
  /** 1 for the first dispatch of the task. */
  number: number;
  worker: string;
  startedAt: Date;
  endedAt?: Date;
  outcome?: string;
  error?: string;
  /** The tail of its last failing test run, for a retry. */
  testOutput?: string;
  /** The branch its work was kept on, `attempts/<task id>/<n>`. */
  branch?: string;
  /** What the review that sent its work back asked to change. */
  review?: string;
}

/** What a finished attempt leaves for the next one, besides its outcome. */
export interface AttemptEnd {
  error?: string;
  testOutput?: string;
  /** What the review asked to change, when it sent the work back. */
  review?: string;
}

/** The oneof of codeframe.v1.Event; an event always has a payload. */
export type EventPayload = Exclude<Event['payload'], { case: undefined }>;

/**
 * What an event is about, written in the same transaction as the event: both are stored or
 * neither is. The event's own project is the one changed.
 */
export interface StateChange {
  /** Fields of a task of the event's project (not_found for any other task). */
  task?: {
    id: string;
    patch: TaskPatch;
    /** Written only while the task still has this status (a compare-and-set): when it
     * moved on in between, the append fails with conflict and nothing is written. */
    whileStatus?: TaskStatus;
  };
  /** The project's status. */
  projectStatus?: ProjectStatus;
}

export interface Store {
  /** A new project with a random UUID and status CREATED. */
  createProject(input: NewProject): Promise<Project>;
  /** With usage, task counts and last_seq filled in from the data. */
  getProject(id: string): Promise<Project | undefined>;
  /** Oldest first. */
  listProjects(): Promise<Project[]>;
  setProjectStatus(id: string, status: ProjectStatus): Promise<Project>;
  /** 0 means no budget. */
  setProjectBudget(id: string, budgetUsd: number): Promise<Project>;
  /** The credentials the project's repository URL came with, if any. */
  getRepoCredentials(projectId: string): Promise<RepoCredentials | undefined>;

  /**
   * Stores the plan in one transaction, assigning task ids and mapping depends_on from keys
   * to ids. Replaces an earlier plan only while no task has started (conflict otherwise).
   */
  savePlan(projectId: string, tasks: PlannedTask[]): Promise<Task[]>;
  /** In plan order. */
  listTasks(projectId: string): Promise<Task[]>;
  /** How many tasks of every project have each status: one query, for /metrics. */
  countTasksByStatus(): Promise<Map<TaskStatus, number>>;
  getTask(id: string): Promise<Task | undefined>;
  updateTask(id: string, patch: TaskPatch): Promise<Task>;

  /** Numbers the attempt after the previous one and records attempt and worker on the task. */
  startAttempt(taskId: string, worker: string): Promise<Attempt>;
  /** Conflict when the attempt was already finished. */
  finishAttempt(attemptId: string, outcome: string, end?: AttemptEnd): Promise<void>;
  /** Records the branch the attempt's work was kept on. */
  setAttemptBranch(attemptId: string, branch: string): Promise<void>;
  /** Oldest first. */
  listAttempts(taskId: string): Promise<Attempt[]>;

  /** An OPEN blocker on a task of the project, or on the project itself when taskId is ''. */
  createBlocker(projectId: string, taskId: string, question: string): Promise<Blocker>;
  /** RESOLVED with resolved_at set; conflict when it was already answered. */
  answerBlocker(id: string, answer: string): Promise<Blocker>;
  getBlocker(id: string): Promise<Blocker | undefined>;
  /** Oldest first; open ones only unless includeResolved. */
  listBlockers(projectId: string, includeResolved: boolean): Promise<Blocker[]>;

  /** Sums into the project's usage and, when taskId is given, the task's. */
  addUsage(projectId: string, taskId: string | undefined, delta: UsageTotals): Promise<void>;

  /** Persists the event and resolves with it, seq and time assigned; with `change`, what the
   * event reports is written in the same transaction (see StateChange). */
  appendEvent(projectId: string, payload: EventPayload, change?: StateChange): Promise<Event>;
  /** Persisted events with seq > afterSeq, ascending, at most limit of them. */
  readEvents(projectId: string, afterSeq: bigint, limit: number): Promise<Event[]>;
  /** Seq of the last persisted event, 0n when there is none. */
  lastSeq(projectId: string): Promise<bigint>;

  /**
   * Runs work (something outside the store, such as moving main) while this lead's lease of
   * the project holds: fenced when it does not, and no other lead takes the project over
   * until work has settled. work must not write to the store. Without leases, just work().
   */
  underLease<T>(projectId: string, work: () => Promise<T>): Promise<T>;

  /** Present when several leads share the store (PostgreSQL): which owns which project. */
  readonly leases?: ProjectLeases;

  /** Waits for pending writes, then releases the database. */
  close(): Promise<void>;
}

/** The lead a project belongs to, as the database has it. */
export interface ProjectOwner {
  holder: string;
  /** Where other leads reach it ('' when it never said). */
  url: string;
  /** Whether its lease is still running. */
  live: boolean;
}

/**
 * This lead's leases of projects on a shared store. A lease is claimed (FOR UPDATE SKIP
 * LOCKED), renewed, and carries a fencing token: every write the store makes for a project
 * checks that the token this lead holds is still the project's, so a lead that lost its
 * lease (it stalled, its database link broke, another took over) can never write again.
 */
export interface ProjectLeases {
  /** This lead's id (CODEFRAME_LEAD_ID): the same id after a restart reclaims at once. */
  readonly holder: string;
  readonly ttlMs: number;
  /** Whether this lead holds the project's lease (as far as it knows: the token decides). */
  holds(projectId: string): boolean;
  /** The projects this lead holds. */
  held(): string[];
  /** Where the other leads reach this one (said with the next renewal). */
  advertise(url: string): void;
  /**
   * Claims leases that ran out or were never taken (or were this holder's before a restart):
   * of the given projects, whatever their status, else of every project that is not
   * finished. Resolves with the ids newly claimed.
   */
  claim(projectIds?: string[]): Promise<string[]>;
  /** Extends every lease held and says where this lead is; resolves with the ids lost. */
  renew(): Promise<string[]>;
  /** Who owns the project now; undefined for an unknown project. */
  owner(projectId: string): Promise<ProjectOwner | undefined>;
  /** Ends this lead's leases at once (a clean stop), so another lead takes over without waiting. */
  release(): Promise<void>;
  /**
   * Calls listener with (projectId, last seq) after events of any lead commit, and with no
   * project when notices may have been missed (the listening connection broke); resolves
   * with what stops it.
   */
  onCommit(
    listener: (projectId: string | undefined, seq: bigint) => void,
  ): Promise<() => Promise<void>>;
}

export type StoreErrorCode =
  | 'not_found'
  | 'conflict'
  | 'invalid'
  | 'exhausted'
  | 'unavailable'
  /** This lead no longer owns the project (another took it over): nothing was written. */
  | 'fenced';

/**
 * A refused or failed store operation; the code maps onto gRPC NOT_FOUND,
 * FAILED_PRECONDITION, INVALID_ARGUMENT, and for storage faults RESOURCE_EXHAUSTED (the disk
 * is full) or UNAVAILABLE (locked, read-only, I/O error): those pass, so the call can be
 * made again later and nothing was written.
 */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A fault of the storage, not of the request: the same call can succeed later. */
export function isStorageFault(err: unknown): err is StoreError {
  return err instanceof StoreError && (err.code === 'exhausted' || err.code === 'unavailable');
}

/** Refused because another lead owns the project now; the write was not made. */
export function isFenced(err: unknown): err is StoreError {
  return err instanceof StoreError && err.code === 'fenced';
}

export const notFound = (what: string, id: string): StoreError =>
  new StoreError('not_found', `${what} "${id}" does not exist`);
