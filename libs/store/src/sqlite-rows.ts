// Rows as SQLite returns them, and their protobuf shapes. Times are stored as milliseconds
// since the epoch, enums as their numbers, bigints as plain integers.
import { create, fromBinary, fromJson, type JsonValue } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  type Blocker,
  BlockerSchema,
  type BlockerStatus,
  type Project,
  ProjectSchema,
  type ProjectStatus,
  QualityGateSchema,
  type Task,
  type TaskKind,
  TaskSchema,
  type TaskStatus,
  TestSummarySchema,
  type Usage,
  UsageSchema,
} from '@codeframe/proto';
import type { Attempt } from './store.js';

export interface UsageRow {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
  calls: number;
  unpriced: number;
}

export interface ProjectRow extends UsageRow {
  id: string;
  name: string;
  prd: string;
  repo_url: string;
  status: number;
  budget_usd: number;
  max_concurrency: number;
  review: number;
  last_seq: number;
  created_at: number;
  updated_at: number;
  task_count: number;
  completed_task_count: number;
  failed_task_count: number;
}

export interface TaskRow extends UsageRow {
  id: string;
  project_id: string;
  position: number;
  key: string;
  title: string;
  description: string;
  kind: number;
  acceptance_criteria: string;
  status: number;
  attempt: number;
  worker: string;
  branch: string;
  commit_sha: string;
  merge_sha: string;
  tests: Uint8Array | null;
  error: string;
  summary: string;
  files_changed: string;
  gates: string;
  created_at: number;
  updated_at: number;
}

export interface AttemptRow {
  id: string;
  task_id: string;
  number: number;
  worker: string;
  started_at: number;
  ended_at: number | null;
  outcome: string | null;
  error: string | null;
  test_output: string | null;
  branch: string | null;
  review: string | null;
}

export interface BlockerRow {
  id: string;
  project_id: string;
  /** NULL for a project's own blocker. */
  task_id: string | null;
  question: string;
  answer: string;
  status: number;
  created_at: number;
  resolved_at: number | null;
}

const time = (ms: number) => timestampFromDate(new Date(ms));

function usageOf(row: UsageRow): Usage {
  return create(UsageSchema, {
    inputTokens: BigInt(row.input_tokens),
    outputTokens: BigInt(row.output_tokens),
    cacheReadInputTokens: BigInt(row.cache_read_input_tokens),
    cacheCreationInputTokens: BigInt(row.cache_creation_input_tokens),
    costUsd: row.cost_usd,
    calls: row.calls,
    unpriced: row.unpriced !== 0,
  });
}

export function toProject(row: ProjectRow): Project {
  return create(ProjectSchema, {
    id: row.id,
    name: row.name,
    prd: row.prd,
    repoUrl: row.repo_url,
    status: row.status as ProjectStatus,
    budgetUsd: row.budget_usd,
    maxConcurrency: row.max_concurrency,
    review: row.review !== 0,
    usage: usageOf(row),
    taskCount: row.task_count,
    completedTaskCount: row.completed_task_count,
    failedTaskCount: row.failed_task_count,
    lastSeq: BigInt(row.last_seq),
    createdAt: time(row.created_at),
    updatedAt: time(row.updated_at),
  });
}

export function toTask(row: TaskRow, dependsOn: string[]): Task {
  return create(TaskSchema, {
    id: row.id,
    projectId: row.project_id,
    key: row.key,
    title: row.title,
    description: row.description,
    kind: row.kind as TaskKind,
    dependsOn,
    acceptanceCriteria: JSON.parse(row.acceptance_criteria) as string[],
    status: row.status as TaskStatus,
    attempt: row.attempt,
    worker: row.worker,
    branch: row.branch,
    commitSha: row.commit_sha,
    mergeSha: row.merge_sha,
    tests: row.tests ? fromBinary(TestSummarySchema, row.tests) : undefined,
    usage: usageOf(row),
    error: row.error,
    summary: row.summary,
    filesChanged: JSON.parse(row.files_changed) as string[],
    gates: (JSON.parse(row.gates) as JsonValue[]).map((g) => fromJson(QualityGateSchema, g)),
    createdAt: time(row.created_at),
    updatedAt: time(row.updated_at),
  });
}

export function toAttempt(row: AttemptRow): Attempt {
  const attempt: Attempt = {
    id: row.id,
    taskId: row.task_id,
    number: row.number,
    worker: row.worker,
    startedAt: new Date(row.started_at),
  };
  if (row.ended_at !== null) attempt.endedAt = new Date(row.ended_at);
  if (row.outcome !== null) attempt.outcome = row.outcome;
  if (row.error !== null) attempt.error = row.error;
  if (row.test_output !== null) attempt.testOutput = row.test_output;
  if (row.branch !== null) attempt.branch = row.branch;
  if (row.review !== null) attempt.review = row.review;
  return attempt;
}

export function toBlocker(row: BlockerRow): Blocker {
  return create(BlockerSchema, {
    id: row.id,
    projectId: row.project_id,
    taskId: row.task_id ?? '',
    question: row.question,
    answer: row.answer,
    status: row.status as BlockerStatus,
    createdAt: time(row.created_at),
    resolvedAt: row.resolved_at === null ? undefined : time(row.resolved_at),
  });
}
