// The lead's counters: dispatches, merges, task state changes (no project or task ids as labels).
import { TaskStatus } from '@codeframe/proto';
import { counter, gauge } from '@codeframe/runtime';
import type { GatedMerge } from './merge-queue.js';

const dispatches = counter({
  name: 'codeframe_dispatches_total',
  help: 'Task attempts dispatched to a worker.',
});
const merges = counter({
  name: 'codeframe_merges_total',
  help: 'Task merges, by outcome (merged, conflict, red, unverified, error).',
  labelNames: ['outcome'],
});
const retries = counter({
  name: 'codeframe_task_retries_total',
  help: 'Tasks sent back to run again, by why (worker_failure, retry_requested, review_changes, red_main, merge_conflict).',
  labelNames: ['kind'],
});
const verifications = counter({
  name: 'codeframe_main_verifications_total',
  help: "Test runs of a main to be (the merge queue's stack tip, the final main), by outcome (passed, failed, error).",
  labelNames: ['outcome'],
});
const transitions = counter({
  name: 'codeframe_task_transitions_total',
  help: 'Task status changes, by the status entered.',
  labelNames: ['status'],
});

/** What the lead's gauges read at each scrape: the orchestrators and event hubs of the
 * process (one each in a lead; tests run several). */
export interface LeadGauges {
  /** Tasks this lead is dispatching: on a worker, in review, merging or being verified. */
  running(): number;
  /** Tasks ready to run but waiting for a slot or a worker replica of their kind. */
  waiting(): number;
  /** Events appended and not yet committed. */
  appendsInFlight(): number;
  /** The most events any live watcher has not yet taken. */
  watchBacklog(): number;
  /** Merges waiting in the merge queue for their batch to land. */
  mergesWaiting(): number;
  /** The tasks of every project in the store, by status name. */
  tasksByStatus(): Promise<Map<string, number>>;
}

// Held weakly: a source lives as long as the object that keeps it (an orchestrator, a hub).
const sources = new Set<WeakRef<Partial<LeadGauges>>>();
function live(): Partial<LeadGauges>[] {
  const found: Partial<LeadGauges>[] = [];
  for (const ref of sources) {
    const source = ref.deref();
    if (source) found.push(source);
    else sources.delete(ref);
  }
  return found;
}
const sum = (read: (s: Partial<LeadGauges>) => number | undefined) => () =>
  live().reduce((n, s) => n + (read(s) ?? 0), 0);
gauge({
  name: 'codeframe_tasks_running',
  help: 'Tasks the lead is dispatching: on a worker, in review, merging or verified.',
  read: sum((s) => s.running?.()),
});
gauge({
  name: 'codeframe_tasks_waiting',
  help: 'Tasks ready to run, waiting for a concurrency slot or a worker replica (queue depth).',
  read: sum((s) => s.waiting?.()),
});
gauge({
  name: 'codeframe_event_appends_in_flight',
  help: 'Events appended to the log and not yet committed (event-log lag).',
  read: sum((s) => s.appendsInFlight?.()),
});
const STATUSES = Object.values(TaskStatus)
  .filter((s): s is TaskStatus => typeof s === 'number' && s !== TaskStatus.UNSPECIFIED)
  .map((s) => TaskStatus[s]);
gauge({
  name: 'codeframe_tasks',
  help: 'Tasks of every project in the store, by status (the phase a task is in: PENDING, ASSIGNED, IN_PROGRESS, BLOCKED, COMPLETED, FAILED, CANCELLED).',
  labelNames: ['status'],
  readEach: async () => {
    const counts = new Map(STATUSES.map((s) => [s, 0]));
    for (const source of live()) {
      if (!source.tasksByStatus) continue;
      for (const [status, n] of await source.tasksByStatus())
        if (counts.has(status)) counts.set(status, counts.get(status)! + n);
    }
    return counts;
  },
});
gauge({
  name: 'codeframe_merge_queue_depth',
  help: 'Merges waiting in the merge queue for their batch to land.',
  read: sum((s) => s.mergesWaiting?.()),
});
gauge({
  name: 'codeframe_watch_backlog_events',
  help: 'The most events a live WatchEvents watcher has not yet taken.',
  read: () => Math.max(0, ...live().map((s) => s.watchBacklog?.() ?? 0)),
});

/** Counts `source` in the lead's gauges for as long as the caller keeps it, and returns it. */
export function gaugeSource<S extends Partial<LeadGauges>>(source: S): S {
  sources.add(new WeakRef(source));
  return source;
}

export function recordDispatch(): void {
  dispatches.inc();
}

export function recordMerge(outcome: GatedMerge | Error): void {
  const label =
    outcome instanceof Error
      ? 'error'
      : !outcome.merged
        ? 'conflict'
        : outcome.unverified !== undefined
          ? 'unverified'
          : outcome.red
            ? 'red'
            : 'merged';
  merges.labels(label).inc();
}

export function recordTransition(status: TaskStatus): void {
  transitions.labels(TaskStatus[status] ?? 'UNKNOWN').inc();
}

/** Why a task runs again: its own count, apart from model-call retries (libs/llm). */
export type RetryKind =
  | 'worker_failure'
  | 'retry_requested'
  | 'review_changes'
  | 'red_main'
  | 'merge_conflict';

export function recordRetry(kind: RetryKind): void {
  retries.labels(kind).inc();
}

export function recordVerification(result: { passed: boolean; error?: string }): void {
  verifications.labels(result.error ? 'error' : result.passed ? 'passed' : 'failed').inc();
}
