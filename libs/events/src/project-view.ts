// A project as its events tell it: a snapshot (or only the tasks of one), then every
// browser event applied in seq order. Pure: no I/O and no text, so the dashboard and the
// CLI read the same figures and each draws them its own way.
import type { ProjectStatusJson, TaskStatusJson } from '@codeframe/proto';
import { addUsage, emptyUsage, type UsageTotals, usageBeyond } from '@codeframe/proto/usage';
import type {
  BrowserEvent,
  BrowserProject,
  BrowserSnapshot,
  BrowserTask,
} from './browser-protocol.js';
import { isFinished, isMerge, isTaskRunning, isTaskTroubled, MAIN_BRANCH } from './predicates.js';
import type {
  AgentRecord,
  BlockerRecord,
  CommitRecord,
  MainChecks,
  Progress,
  TaskRecord,
} from './project-records.js';
import { withGate } from './task-gates.js';
import { usageTotals } from './usage-totals.js';

/** The commits kept for showing, newest last; older ones are dropped. */
const COMMIT_LIMIT = 500;

export interface ProjectViewOptions {
  /** The clock, for events without a usable timestamp and for when one arrived. */
  now?: () => number;
}

export class ProjectView {
  /** The project as of the last snapshot; its status is kept current. */
  project: BrowserProject | undefined;
  status: ProjectStatusJson = 'PROJECT_STATUS_UNSPECIFIED';
  statusReason = '';
  /** Epoch ms the project reached a final status, when it has. */
  finishedAt: number | undefined;
  readonly tasks = new Map<string, TaskRecord>();
  readonly blockers = new Map<string, BlockerRecord>();
  /** Each agent's last state, by `agentId|taskId`. */
  readonly agents = new Map<string, AgentRecord>();
  readonly commits: CommitRecord[] = [];
  /** commit_created events applied: commits on task branches and merges into main. */
  readonly made = { commits: 0, merges: 0 };
  readonly main: MainChecks = { runs: 0, reverted: 0, final: undefined };
  /** Planning calls and anything else not tied to a task. */
  planningUsage = emptyUsage();
  /** The lead's own counts, until a task changes. */
  #progress: Progress | undefined;
  readonly #now: () => number;

  constructor(options: ProjectViewOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  get finished(): boolean {
    return isFinished(this.status);
  }

  /** Replaces the project, its tasks and blockers with a snapshot; task histories stay. */
  reset(snapshot: BrowserSnapshot): void {
    this.project = { ...snapshot.project };
    this.#plan(snapshot.tasks);
    this.blockers.clear();
    for (const blocker of snapshot.blockers) {
      const resolvedAt = Date.parse(blocker.resolved_at ?? '');
      this.blockers.set(blocker.id ?? '', {
        blocker,
        resolvedAt: Number.isNaN(resolvedAt) ? undefined : resolvedAt,
      });
    }
    let taskUsage = emptyUsage();
    for (const record of this.tasks.values()) taskUsage = addUsage(taskUsage, record.usage);
    this.planningUsage = usageBeyond(usageTotals(snapshot.project.usage), taskUsage);
    this.status = snapshot.project.status ?? 'PROJECT_STATUS_UNSPECIFIED';
    this.finishedAt = this.finished
      ? (this.finishedAt ?? (Date.parse(snapshot.project.updated_at ?? '') || this.#now()))
      : undefined;
    for (const [key, agent] of this.agents) {
      if (!this.tasks.has(agent.taskId)) this.agents.delete(key);
    }
    if (this.commits.length === 0) this.#commitsFromTasks();
    this.#progress = undefined;
  }

  /** Adds tasks known before the first event applied, e.g. when following from a later seq. */
  seed(tasks: readonly BrowserTask[]): void {
    for (const task of tasks) {
      const id = task.id ?? '';
      if (!this.tasks.has(id)) this.tasks.set(id, record(task, this.tasks.size, undefined));
    }
    this.#progress = undefined;
  }

  /** Forgets everything. */
  clear(): void {
    this.project = undefined;
    this.status = 'PROJECT_STATUS_UNSPECIFIED';
    this.statusReason = '';
    this.finishedAt = undefined;
    this.tasks.clear();
    this.blockers.clear();
    this.agents.clear();
    this.commits.length = 0;
    this.made.commits = this.made.merges = 0;
    Object.assign(this.main, { runs: 0, reverted: 0, final: undefined });
    this.planningUsage = emptyUsage();
    this.#progress = undefined;
  }

  get progress(): Progress {
    if (this.#progress) return this.#progress;
    const p: Progress = {
      total: 0,
      completed: 0,
      failed: 0,
      cancelled: 0,
      inProgress: 0,
      blocked: 0,
    };
    for (const record of this.tasks.values()) {
      const status = record.task.status;
      p.total += 1;
      if (status === 'TASK_STATUS_COMPLETED') p.completed += 1;
      else if (status === 'TASK_STATUS_FAILED') p.failed += 1;
      else if (status === 'TASK_STATUS_CANCELLED') p.cancelled += 1;
      else if (isTaskRunning(status)) p.inProgress += 1;
      else if (status === 'TASK_STATUS_BLOCKED') p.blocked += 1;
      else if (this.failedDependencies(record).length > 0) p.blocked += 1;
    }
    if (p.total === 0 && this.project) {
      p.total = this.project.task_count ?? 0;
      p.completed = this.project.completed_task_count ?? 0;
      p.failed = this.project.failed_task_count ?? 0;
    }
    return p;
  }

  /** Tokens and cost of the whole project so far. */
  get usage(): UsageTotals {
    let total = this.planningUsage;
    for (const record of this.tasks.values()) total = addUsage(total, record.usage);
    return total;
  }

  /** The task's key, or the start of its id when the task is not known. */
  taskKey(taskId: string): string {
    return this.tasks.get(taskId)?.task.key || taskId.slice(0, 8);
  }

  /**
   * The dependencies that did not complete and never will, so that this pending task cannot
   * start: those `task_blocked` named, and any dependency now failed or cancelled.
   */
  failedDependencies(record: TaskRecord): string[] {
    if ((record.task.status ?? 'TASK_STATUS_PENDING') !== 'TASK_STATUS_PENDING') return [];
    const failed = new Set(record.blockedBy);
    for (const id of record.task.depends_on ?? []) {
      const status = this.tasks.get(id)?.task.status;
      if (status === 'TASK_STATUS_FAILED' || status === 'TASK_STATUS_CANCELLED') failed.add(id);
    }
    return [...failed];
  }

  /** Tasks that list `taskId` among their dependencies. */
  dependents(taskId: string): string[] {
    const out: string[] = [];
    for (const [id, record] of this.tasks)
      if (record.task.depends_on?.includes(taskId)) out.push(id);
    return out;
  }

  apply(event: BrowserEvent): void {
    const base = { seq: event.seq, timestamp: event.timestamp };
    const at = () => Date.parse(event.timestamp) || this.#now();
    switch (event.type) {
      case 'plan_ready':
        this.#plan(event.tasks ?? []);
        this.#progress = undefined;
        return;
      case 'task_status_changed': {
        const to: TaskStatusJson = event.to ?? 'TASK_STATUS_UNSPECIFIED';
        const record = this.tasks.get(event.task_id ?? '');
        this.#progress = undefined;
        if (!record) return;
        record.task.status = to;
        if (event.attempt) record.task.attempt = event.attempt;
        record.reason = event.reason ?? '';
        record.task.error = isTaskTroubled(to) ? event.reason || record.task.error : '';
        if (to === 'TASK_STATUS_PENDING' || to === 'TASK_STATUS_IN_PROGRESS') record.blockedBy = [];
        return;
      }
      case 'task_assigned': {
        const record = this.tasks.get(event.task_id ?? '');
        if (!record) return;
        record.task.worker = event.worker ?? '';
        if (event.attempt) record.task.attempt = event.attempt;
        // Each attempt runs its gates afresh (the lead clears them too).
        record.task.gates = [];
        if (event.kind && event.kind !== 'TASK_KIND_UNSPECIFIED') record.task.kind = event.kind;
        return;
      }
      case 'task_blocked':
      case 'task_unblocked': {
        const record = this.tasks.get(event.task_id ?? '');
        this.#progress = undefined;
        if (!record) return;
        record.blockedBy = event.type === 'task_blocked' ? (event.blocked_by ?? []) : [];
        if (event.type === 'task_blocked') record.reason = event.reason ?? '';
        return;
      }
      case 'agent_status_changed': {
        const taskId = event.task_id ?? '';
        const agentId = event.agent_id ?? '';
        const agent: AgentRecord = {
          key: `${agentId}|${taskId}`,
          agentId,
          taskId,
          state: event.state ?? 'AGENT_STATE_UNSPECIFIED',
          detail: event.detail ?? '',
          since: at(),
        };
        this.agents.set(agent.key, agent);
        const record = this.tasks.get(taskId);
        if (record) record.agent = agent;
        return;
      }
      case 'progress_update': {
        let cancelled = 0;
        for (const r of this.tasks.values())
          if (r.task.status === 'TASK_STATUS_CANCELLED') cancelled += 1;
        this.#progress = {
          total: event.total ?? 0,
          completed: event.completed ?? 0,
          failed: event.failed ?? 0,
          cancelled,
          inProgress: event.in_progress ?? 0,
          blocked: event.blocked ?? 0,
        };
        return;
      }
      case 'test_result': {
        const record = this.tasks.get(event.task_id ?? '');
        if (!record) return;
        const summary = event.summary ?? {};
        record.tests.push({ ...base, attempt: event.attempt ?? 0, summary });
        record.task.tests = summary;
        return;
      }
      case 'correction_attempt':
        this.tasks.get(event.task_id ?? '')?.corrections.push({
          ...base,
          attempt: event.attempt ?? 0,
          maxAttempts: event.max_attempts ?? 0,
          failure: event.failure ?? '',
        });
        return;
      case 'review_completed':
        this.tasks.get(event.task_id ?? '')?.reviews.push({
          ...base,
          attempt: event.attempt ?? 0,
          approved: event.approved ?? false,
          summary: event.summary ?? '',
          comments: (event.comments ?? []).map((c) => ({
            path: c.path ?? '',
            line: c.line ?? 0,
            body: c.body ?? '',
          })),
        });
        return;
      case 'quality_gate': {
        const record = this.tasks.get(event.task_id ?? '');
        if (record) record.task.gates = withGate(record.task.gates ?? [], event);
        return;
      }
      case 'browser_check': {
        const record = this.tasks.get(event.task_id ?? '');
        if (!record) return;
        const screenshot = event.screenshot ?? '';
        record.browserChecks.push({
          ...base,
          passed: event.passed ?? false,
          attempt: event.attempt ?? 0,
          url: event.url ?? '',
          consoleErrors: event.console_errors ?? [],
          missing: event.missing ?? [],
          error: event.error ?? '',
          screenshot,
        });
        if (screenshot && !(record.task.artifacts ?? []).includes(screenshot))
          record.task.artifacts = [...(record.task.artifacts ?? []), screenshot];
        return;
      }
      case 'main_verified':
        this.main.runs += 1;
        if (event.reverted) this.main.reverted += 1;
        return;
      case 'commit_created': {
        const commit: CommitRecord = {
          ...base,
          taskId: event.task_id ?? '',
          sha: event.sha ?? '',
          branch: event.branch ?? '',
          message: event.message ?? '',
          files: event.files_changed ?? [],
        };
        const merge = isMerge(commit);
        if (merge) this.made.merges += 1;
        else this.made.commits += 1;
        this.commits.push(commit);
        if (this.commits.length > COMMIT_LIMIT)
          this.commits.splice(0, this.commits.length - COMMIT_LIMIT);
        const record = this.tasks.get(commit.taskId);
        if (!record) return;
        record.commits.push(commit);
        if (merge) record.task.merge_sha = commit.sha;
        else record.task.commit_sha = commit.sha;
        return;
      }
      case 'blocker_created':
      case 'blocker_resolved': {
        const blocker = event.blocker ?? {};
        this.blockers.set(blocker.id ?? '', {
          blocker,
          resolvedAt: event.type === 'blocker_resolved' ? this.#now() : undefined,
        });
        return;
      }
      case 'project_status': {
        this.status = event.status ?? 'PROJECT_STATUS_UNSPECIFIED';
        if (this.project) {
          this.project.status = this.status;
          this.project.updated_at = event.timestamp;
        }
        this.statusReason = event.reason ?? '';
        this.finishedAt = this.finished ? at() : undefined;
        this.main.final = event.main ?? this.main.final;
        return;
      }
      case 'token_usage': {
        const call = usageTotals(event.call);
        const record = this.tasks.get(event.task_id ?? '');
        if (record) record.usage = addUsage(record.usage, call);
        else this.planningUsage = addUsage(this.planningUsage, call);
        return;
      }
      case 'file_changed':
        this.tasks
          .get(event.task_id ?? '')
          ?.files.set(event.path ?? '', event.change ?? 'FILE_CHANGE_KIND_UNSPECIFIED');
        return;
      // What a worker is doing right now: readers show these, there is nothing to keep.
      case 'activity_update':
      case 'command_output':
      case 'context_compacted':
        return;
      default: {
        const unknown: never = event;
        void unknown;
      }
    }
  }

  /** The plan's tasks in its order, keeping the history of those known before. */
  #plan(tasks: readonly BrowserTask[]): void {
    const kept = new Map(this.tasks);
    this.tasks.clear();
    tasks.forEach((task, order) => {
      this.tasks.set(task.id ?? '', record(task, order, kept.get(task.id ?? '')));
    });
  }

  /** On a first load, the commits the snapshot's tasks name (their files are not known). */
  #commitsFromTasks(): void {
    const ordered = [...this.tasks.values()].sort((a, b) =>
      (a.task.updated_at ?? '').localeCompare(b.task.updated_at ?? ''),
    );
    for (const record of ordered) {
      const { task } = record;
      const base = { seq: 0, timestamp: task.updated_at ?? '', taskId: task.id ?? '' };
      const found: CommitRecord[] = [];
      if (task.commit_sha) {
        found.push({
          ...base,
          sha: task.commit_sha,
          branch: task.branch ?? '',
          message: `${task.key}: ${task.title}`,
          files: undefined,
        });
      }
      if (task.merge_sha) {
        found.push({
          ...base,
          sha: task.merge_sha,
          branch: MAIN_BRANCH,
          message: `Merge ${task.branch || 'task'}: ${task.title}`,
          files: undefined,
        });
      }
      this.commits.push(...found);
      if (record.commits.length === 0) record.commits.push(...found);
    }
  }
}

function record(task: BrowserTask, order: number, previous: TaskRecord | undefined): TaskRecord {
  return {
    task: { ...task },
    order,
    usage: usageTotals(task.usage),
    agent: previous?.agent,
    tests: previous?.tests ?? [],
    corrections: previous?.corrections ?? [],
    reviews: previous?.reviews ?? [],
    browserChecks: previous?.browserChecks ?? [],
    commits: previous?.commits ?? [],
    files: previous?.files ?? new Map(),
    reason: previous?.reason ?? '',
    blockedBy: previous?.blockedBy ?? [],
  };
}
