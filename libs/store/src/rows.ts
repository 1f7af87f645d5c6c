// Rows as SQLite and PostgreSQL return them (the same columns in both), and their protobuf
// shapes. Times are stored as milliseconds since the epoch, enums as their numbers, bigints
// as plain integers, lists as JSON text; a flag is 0/1 in SQLite and a boolean in PostgreSQL.
import { randomUUID } from 'node:crypto';
import { create, fromBinary, fromJson, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf';
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
  TaskStatus,
  TestSummarySchema,
  type Usage,
  UsageSchema,
} from '@codeframe/proto';
import type { Attempt, TaskPatch } from './store.js';

/** A project row with its task counts, in SQL both databases run; `WHERE`/`ORDER BY` follow. */
export const PROJECT_SELECT = `
  SELECT p.*,
    (SELECT count(*) FROM tasks t WHERE t.project_id = p.id) AS task_count,
    (SELECT count(*) FROM tasks t WHERE t.project_id = p.id AND t.status = ${TaskStatus.COMPLETED})
      AS completed_task_count,
    (SELECT count(*) FROM tasks t WHERE t.project_id = p.id AND t.status = ${TaskStatus.FAILED})
      AS failed_task_count
  FROM projects p`;

/** 0/1 (SQLite) or a boolean (PostgreSQL). */
type Flag = number | boolean;

export interface UsageRow {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
  cost_usd: number;
  calls: number;
  unpriced: Flag;
}

export interface ProjectRow extends UsageRow {
  id: string;
  name: string;
  prd: string;
  repo_url: string;
  status: number;
  budget_usd: number;
  max_concurrency: number;
  review: Flag;
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

// TaskPatch field → column, and how the value is stored.
export const PATCH_COLUMNS: {
  [K in keyof Required<TaskPatch>]: [string, (v: TaskPatch[K]) => unknown];
} = {
  status: ['status', (v) => v],
  worker: ['worker', (v) => v],
  commitSha: ['commit_sha', (v) => v],
  mergeSha: ['merge_sha', (v) => v],
  error: ['error', (v) => v],
  tests: ['tests', (v) => (v ? toBinary(TestSummarySchema, v) : null)],
  attempt: ['attempt', (v) => v],
  summary: ['summary', (v) => v],
  filesChanged: ['files_changed', (v) => JSON.stringify(v ?? [])],
  gates: ['gates', (v) => JSON.stringify((v ?? []).map((g) => toJson(QualityGateSchema, g)))],
};

/** The columns a patch sets and their stored values (`updated_at` first), for an UPDATE. */
export function patchAssignments(patch: TaskPatch, now = Date.now()): [string, unknown][] {
  const sets: [string, unknown][] = [['updated_at', now]];
  for (const [field, [column, encode]] of Object.entries(PATCH_COLUMNS)) {
    const value = patch[field as keyof TaskPatch];
    if (value !== undefined) sets.push([column, (encode as (v: unknown) => unknown)(value)]);
  }
  return sets;
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
    unpriced: Boolean(row.unpriced),
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
    review: Boolean(row.review),
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

/** The row of an attempt just started. */
export function newAttemptRow(taskId: string, number: number, worker: string): AttemptRow {
  return {
    id: randomUUID(),
    task_id: taskId,
    number,
    worker,
    started_at: Date.now(),
    ended_at: null,
    outcome: null,
    error: null,
    test_output: null,
    branch: null,
    review: null,
  };
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
