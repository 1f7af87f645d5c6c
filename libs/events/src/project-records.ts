// What a ProjectView keeps of a project, beyond the lead's own task and blocker messages.
import type { AgentStateJson, FileChangeKindJson } from '@codeframe/proto';
import type { UsageTotals } from '@codeframe/proto/usage';
import type {
  BrowserBlocker,
  BrowserMainVerified,
  BrowserTask,
  BrowserTestSummary,
} from './browser-protocol.js';

export interface AgentRecord {
  key: string;
  agentId: string;
  taskId: string;
  state: AgentStateJson;
  detail: string;
  /** Epoch ms of the state change. */
  since: number;
}

export interface TestRun {
  seq: number;
  timestamp: string;
  attempt: number;
  summary: BrowserTestSummary;
}

export interface CorrectionRecord {
  seq: number;
  timestamp: string;
  attempt: number;
  maxAttempts: number;
  failure: string;
}

/** A reviewer's verdict on one attempt of the task, before its merge. */
export interface ReviewRecord {
  seq: number;
  timestamp: string;
  attempt: number;
  approved: boolean;
  summary: string;
  comments: { path: string; line: number; body: string }[];
}

/** A browser check of the task's page (browser_check), with its screenshot's artifact id. */
export interface BrowserCheckRecord {
  seq: number;
  timestamp: string;
  passed: boolean;
  attempt: number;
  url: string;
  consoleErrors: string[];
  missing: string[];
  error: string;
  screenshot: string;
}

export interface CommitRecord {
  seq: number;
  timestamp: string;
  taskId: string;
  sha: string;
  branch: string;
  message: string;
  /** Undefined for commits known only from a snapshot. */
  files: string[] | undefined;
}

export interface TaskRecord {
  /** The task as the lead described it, kept current by the events since. */
  task: BrowserTask;
  /** Position in the plan, for a stable order. */
  order: number;
  usage: UsageTotals;
  agent?: AgentRecord;
  tests: TestRun[];
  corrections: CorrectionRecord[];
  reviews: ReviewRecord[];
  browserChecks: BrowserCheckRecord[];
  commits: CommitRecord[];
  files: Map<string, FileChangeKindJson>;
  /** The reason given with the last status change. */
  reason: string;
  /** Failed dependencies that keep this task from ever starting (`task_blocked`). */
  blockedBy: string[];
}

export interface BlockerRecord {
  blocker: BrowserBlocker;
  /** Epoch ms it was resolved (its `resolved_at`, or when the event arrived). */
  resolvedAt?: number;
}

export interface Progress {
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
  /** Assigned or in progress. */
  inProgress: number;
  /** Blocked, or pending behind a dependency that failed. */
  blocked: number;
}

/** How main was verified: after each merge, and the final main when the project ended. */
export interface MainChecks {
  runs: number;
  /** Checks that were red, their merge taken out. */
  reverted: number;
  final: BrowserMainVerified | undefined;
}
