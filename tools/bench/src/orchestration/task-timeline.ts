import { timestampMs } from '@bufbuild/protobuf/wkt';
import { AgentState, type Event, ProjectStatus, type Task, TaskStatus } from '@codeframe/proto';
import { round } from '../harness/process-stats.js';

// Where each task's time went, read from the project's event log alone (event times are
// the lead's clock when it persisted each event, in ms):
//
//   ready      the project started (roots) or its last dependency completed
//   assigned   task_assigned                       queued = assigned - ready
//   preparing  the worker started the task's first git command (its mirror's fetch), from
//              the worker's probe                 dispatch = preparing - assigned (the
//              request, and waiting for the worker's lock on its mirror of the repository)
//   started    the worker's task_status_changed to in_progress, sent once its worktree
//              exists                             worktree = started - preparing
//   testing    agent_status_changed testing        model+tools = testing - started
//   tested     test_result                         tests = tested - testing
//   committing agent_status_changed committing
//   pushed     the worker's commit_created (task branch) commit+push = pushed - committing
//   done       agent_status_changed done
//   merged     the lead's commit_created on main   merge = merged - done (stream end,
//              bookkeeping, waiting for the merge lock, the merge and push)
//   completed  task_status_changed to completed    total = completed - ready
//
// overhead = completed - assigned - the model's own time (calls x latency).

export const PHASES = [
  'queued',
  'dispatch',
  'worktree',
  'modelAndTools',
  'tests',
  'commitPush',
  'merge',
  'overhead',
  'total',
] as const;
export type Phase = (typeof PHASES)[number];

export interface PhaseStats {
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  maxMs: number;
}

export interface Timeline {
  makespanMs: number;
  tasksCompleted: number;
  phases: Record<Phase, PhaseStats>;
  /** Share of the makespan during which some task was between done and merged. */
  mergeLaneBusy: number;
}

type Marks = Partial<
  Record<
    | 'assigned'
    | 'started'
    | 'testing'
    | 'tested'
    | 'committing'
    | 'pushed'
    | 'done'
    | 'merged'
    | 'completed',
    number
  >
>;

export function taskTimeline(
  events: readonly Event[],
  tasks: readonly Task[],
  modelMs: number,
  /** Epoch ms at which a worker started preparing each task's worktree, by task id. */
  preparing: ReadonlyMap<string, number> = new Map(),
) {
  const at = (e: Event) => (e.time ? timestampMs(e.time) : 0);
  const marks = new Map<string, Marks>(tasks.map((t) => [t.id, {}]));
  let runningAt = 0;
  let endAt = 0;
  const set = (taskId: string, mark: keyof Marks, time: number, first = true) => {
    const m = marks.get(taskId);
    if (m && (!first || m[mark] === undefined)) m[mark] = time;
  };
  for (const e of events) {
    const t = at(e);
    const p = e.payload;
    switch (p.case) {
      case 'projectStatus':
        if (p.value.status === ProjectStatus.RUNNING && !runningAt) runningAt = t;
        if (p.value.status === ProjectStatus.COMPLETED || p.value.status === ProjectStatus.FAILED)
          endAt = t;
        break;
      case 'taskAssigned':
        set(p.value.taskId, 'assigned', t, false);
        break;
      case 'taskStatusChanged':
        if (p.value.to === TaskStatus.IN_PROGRESS) set(p.value.taskId, 'started', t, false);
        if (p.value.to === TaskStatus.COMPLETED) set(p.value.taskId, 'completed', t);
        break;
      case 'agentStatusChanged': {
        const state = p.value.state;
        if (state === AgentState.TESTING) set(p.value.taskId, 'testing', t, false);
        if (state === AgentState.COMMITTING) set(p.value.taskId, 'committing', t, false);
        if (state === AgentState.DONE) set(p.value.taskId, 'done', t, false);
        break;
      }
      case 'testResult':
        set(p.value.taskId, 'tested', t, false);
        break;
      case 'commitCreated':
        set(p.value.taskId, p.value.branch === 'main' ? 'merged' : 'pushed', t, false);
        break;
    }
  }
  const durations = Object.fromEntries(PHASES.map((p) => [p, [] as number[]])) as Record<
    Phase,
    number[]
  >;
  const merges: [number, number][] = [];
  let completed = 0;
  for (const task of tasks) {
    const m = marks.get(task.id)!;
    if (m.completed === undefined) continue;
    completed++;
    const ready = Math.max(runningAt, ...task.dependsOn.map((d) => marks.get(d)?.completed ?? 0));
    const span = (from: number | undefined, to: number | undefined, phase: Phase) => {
      if (from !== undefined && to !== undefined) durations[phase].push(to - from);
    };
    span(ready, m.assigned, 'queued');
    const prepared = preparing.get(task.id);
    span(m.assigned, prepared, 'dispatch');
    span(prepared, m.started, 'worktree');
    span(m.started, m.testing, 'modelAndTools');
    span(m.testing, m.tested, 'tests');
    span(m.committing, m.pushed, 'commitPush');
    span(m.done, m.merged, 'merge');
    span(ready, m.completed, 'total');
    if (m.assigned !== undefined) durations.overhead.push(m.completed - m.assigned - modelMs);
    if (m.done !== undefined && m.merged !== undefined) merges.push([m.done, m.merged]);
  }
  const makespanMs = endAt && runningAt ? endAt - runningAt : 0;
  return {
    makespanMs,
    tasksCompleted: completed,
    phases: Object.fromEntries(PHASES.map((p) => [p, stats(durations[p])])) as Record<
      Phase,
      PhaseStats
    >,
    mergeLaneBusy: makespanMs ? round(unionLength(merges) / makespanMs, 3) : 0,
  } satisfies Timeline;
}

/**
 * When each task's worktree preparation began, from the processes the workers logged: a
 * worker prepares one worktree of a repository at a time, from a fetch into its mirror (or
 * none, when a fetch that started after the task arrived serves it) to `worktree add -B
 * task/<id>`. So a task's began at the later of the last fetch and the previous task's
 * `worktree add`.
 */
export function preparationStarts(spawnLogs: readonly (readonly [number, string])[][]) {
  const starts = new Map<string, number>();
  for (const log of spawnLogs) {
    let fetchAt = Number.NEGATIVE_INFINITY;
    let addedAt = Number.NEGATIVE_INFINITY;
    for (const [at, command] of log) {
      if (/ fetch /.test(command)) fetchAt = at;
      const branch = / worktree add .*-B task\/(\S+)/.exec(command)?.[1];
      if (!branch) continue;
      const began = Math.max(fetchAt, addedAt);
      starts.set(branch, Number.isFinite(began) ? began : at);
      addedAt = at;
    }
  }
  return starts;
}

function stats(values: number[]): PhaseStats {
  if (values.length === 0) return { meanMs: 0, p50Ms: 0, p90Ms: 0, maxMs: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))]!;
  return {
    meanMs: Math.round(values.reduce((a, b) => a + b, 0) / values.length),
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    maxMs: sorted.at(-1)!,
  };
}

function unionLength(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = Number.NEGATIVE_INFINITY;
  for (const [from, to] of sorted) {
    if (to <= end) continue;
    total += to - Math.max(from, end);
    end = to;
  }
  return total;
}
