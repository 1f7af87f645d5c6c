// The project as the dashboard knows it: a snapshot, then every event applied in seq order.
// Applying marks what changed (`dirty`), so a frame re-renders only those sections.
import { ActivityLog, type NewEntry } from './activity-log.js';
import { duration, plural, shortSha } from './format.js';
import type {
  AgentState,
  Blocker,
  BrowserEvent,
  BrowserSnapshot,
  FileChangeKind,
  Project,
  Task,
  TaskStatus,
  TestSummary,
  Usage,
} from './protocol.js';
import { isTerminalTask, projectStatusStyle, type Tone, taskStatusStyle } from './status-style.js';
import { withGate } from './task-gates.js';

export interface UsageTotals {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  cost: number;
  calls: number;
  unpriced: boolean;
}

export const noUsage = (): UsageTotals => ({
  input: 0,
  output: 0,
  cacheRead: 0,
  cacheWrite: 0,
  cost: 0,
  calls: 0,
  unpriced: false,
});

/** int64 fields arrive as JSON strings. */
const num = (v: string | number | undefined): number => {
  const n = typeof v === 'number' ? v : Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
};

export function usageTotals(u: Usage | undefined): UsageTotals {
  return {
    input: num(u?.input_tokens),
    output: num(u?.output_tokens),
    cacheRead: num(u?.cache_read_input_tokens),
    cacheWrite: num(u?.cache_creation_input_tokens),
    cost: num(u?.cost_usd),
    calls: u?.calls ?? 0,
    unpriced: u?.unpriced ?? false,
  };
}

function addInto(into: UsageTotals, add: UsageTotals): void {
  into.input += add.input;
  into.output += add.output;
  into.cacheRead += add.cacheRead;
  into.cacheWrite += add.cacheWrite;
  into.cost += add.cost;
  into.calls += add.calls;
  into.unpriced ||= add.unpriced;
}

export interface AgentRecord {
  key: string;
  agentId: string;
  taskId: string;
  state: AgentState;
  detail: string;
  /** Epoch ms of the state change. */
  since: number;
}

export interface TestRun {
  seq: number;
  timestamp: string;
  attempt: number;
  summary: TestSummary;
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
  task: Task;
  /** Position in the plan, for a stable order within a column. */
  order: number;
  usage: UsageTotals;
  agent?: AgentRecord;
  tests: TestRun[];
  corrections: CorrectionRecord[];
  reviews: ReviewRecord[];
  browserChecks: BrowserCheckRecord[];
  commits: CommitRecord[];
  files: Map<string, FileChangeKind>;
  /** The reason given with the last status change. */
  reason: string;
  /** Failed dependencies that keep this task from ever starting (`task_blocked`). */
  blockedBy: string[];
}

export interface BlockerRecord {
  blocker: Blocker;
  /** Epoch ms it was resolved (its `resolved_at`, or when the event arrived). */
  resolvedAt?: number;
  /** An answer was sent and neither a resolution nor an error came back yet. */
  sending: boolean;
  error: string;
}

export interface Progress {
  total: number;
  completed: number;
  failed: number;
  inProgress: number;
  blocked: number;
}

/** What changed since the last render. */
export class Dirty {
  header = true;
  board = true;
  agents = true;
  log = true;
  commits = true;
  blockers = true;
  readonly tasks = new Set<string>();

  any(): boolean {
    return (
      this.header ||
      this.board ||
      this.agents ||
      this.log ||
      this.commits ||
      this.blockers ||
      this.tasks.size > 0
    );
  }

  everything(): void {
    this.header = this.board = this.agents = this.log = this.commits = this.blockers = true;
  }

  clear(): void {
    this.header = this.board = this.agents = this.log = this.commits = this.blockers = false;
    this.tasks.clear();
  }
}

const COMMIT_LIMIT = 500;

export class ProjectState {
  project: Project | undefined;
  readonly tasks = new Map<string, TaskRecord>();
  readonly blockers = new Map<string, BlockerRecord>();
  readonly agents = new Map<string, AgentRecord>();
  readonly commits: CommitRecord[] = [];
  readonly log = new ActivityLog();
  readonly dirty = new Dirty();
  /** Planning calls and anything else not tied to a task. */
  planningUsage = noUsage();
  statusReason = '';
  /** Epoch ms the project reached a final status, when it has. */
  finishedAt: number | undefined;
  #progress: Progress | undefined;

  /** Replaces everything but the log with a snapshot (initial load, or after a gap). */
  reset(snapshot: BrowserSnapshot): void {
    const previous = this.tasks;
    const kept = new Map(previous);
    this.project = { ...snapshot.project };
    this.tasks.clear();
    snapshot.tasks.forEach((task, order) => {
      this.tasks.set(task.id ?? '', this.#record(task, order, kept.get(task.id ?? '')));
    });
    this.blockers.clear();
    for (const blocker of snapshot.blockers) {
      const resolvedAt = Date.parse(blocker.resolved_at ?? '');
      this.blockers.set(blocker.id ?? '', {
        blocker,
        sending: false,
        error: '',
        resolvedAt: Number.isNaN(resolvedAt) ? undefined : resolvedAt,
      });
    }
    const taskUsage = noUsage();
    for (const record of this.tasks.values()) addInto(taskUsage, record.usage);
    const projectUsage = usageTotals(snapshot.project.usage);
    this.planningUsage = {
      input: Math.max(0, projectUsage.input - taskUsage.input),
      output: Math.max(0, projectUsage.output - taskUsage.output),
      cacheRead: Math.max(0, projectUsage.cacheRead - taskUsage.cacheRead),
      cacheWrite: Math.max(0, projectUsage.cacheWrite - taskUsage.cacheWrite),
      cost: Math.max(0, projectUsage.cost - taskUsage.cost),
      calls: Math.max(0, projectUsage.calls - taskUsage.calls),
      unpriced: projectUsage.unpriced,
    };
    const status = snapshot.project.status;
    this.finishedAt =
      status === 'PROJECT_STATUS_COMPLETED' || status === 'PROJECT_STATUS_FAILED'
        ? (this.finishedAt ?? (Date.parse(snapshot.project.updated_at ?? '') || Date.now()))
        : undefined;
    for (const [key, agent] of this.agents) {
      if (!this.tasks.has(agent.taskId)) this.agents.delete(key);
    }
    if (this.commits.length === 0) this.#commitsFromTasks();
    this.#progress = undefined;
    this.dirty.everything();
  }

  /** Forgets everything, log included (another project was chosen). */
  clear(): void {
    this.project = undefined;
    this.tasks.clear();
    this.blockers.clear();
    this.agents.clear();
    this.commits.length = 0;
    this.log.clear();
    this.planningUsage = noUsage();
    this.statusReason = '';
    this.finishedAt = undefined;
    this.#progress = undefined;
    this.dirty.everything();
  }

  get progress(): Progress {
    if (this.#progress) return this.#progress;
    const p: Progress = { total: 0, completed: 0, failed: 0, inProgress: 0, blocked: 0 };
    for (const record of this.tasks.values()) {
      const { task } = record;
      p.total += 1;
      switch (task.status) {
        case 'TASK_STATUS_COMPLETED':
          p.completed += 1;
          break;
        case 'TASK_STATUS_FAILED':
          p.failed += 1;
          break;
        case 'TASK_STATUS_ASSIGNED':
        case 'TASK_STATUS_IN_PROGRESS':
          p.inProgress += 1;
          break;
        case 'TASK_STATUS_BLOCKED':
          p.blocked += 1;
          break;
        default:
          if (this.failedDependencies(record).length > 0) p.blocked += 1;
      }
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
    const total = { ...this.planningUsage };
    for (const record of this.tasks.values()) addInto(total, record.usage);
    return total;
  }

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

  markSending(blockerId: string): void {
    const record = this.blockers.get(blockerId);
    if (!record) return;
    record.sending = true;
    record.error = '';
    this.dirty.blockers = true;
  }

  blockerFailed(blockerId: string, error: string): void {
    const record = this.blockers.get(blockerId);
    if (!record) return;
    record.sending = false;
    record.error = error;
    this.dirty.blockers = true;
  }

  /** The socket dropped: answers still in flight may or may not have reached the edge. */
  connectionLost(): void {
    for (const record of this.blockers.values()) {
      if (!record.sending) continue;
      record.sending = false;
      record.error =
        'the connection dropped before the edge confirmed this answer; send it again if the blocker stays open';
      this.dirty.blockers = true;
    }
  }

  apply(event: BrowserEvent): void {
    const base = { seq: event.seq, timestamp: event.timestamp };
    const entry = (taskId: string, kind: NewEntry['kind'], tone: Tone, text: string, more = {}) => {
      this.log.add({ ...base, taskId, kind, tone, text, ...more });
      this.dirty.log = true;
    };
    switch (event.type) {
      case 'task_status_changed': {
        const taskId = event.task_id ?? '';
        const to = event.to ?? 'TASK_STATUS_UNSPECIFIED';
        const record = this.tasks.get(taskId);
        if (record) {
          record.task.status = to;
          if (event.attempt) record.task.attempt = event.attempt;
          record.reason = event.reason ?? '';
          const troubled =
            to === 'TASK_STATUS_FAILED' ||
            to === 'TASK_STATUS_BLOCKED' ||
            to === 'TASK_STATUS_CANCELLED';
          // `error` says why the task failed, was cancelled or is blocked; moving on clears it.
          record.task.error = troubled ? event.reason || record.task.error : '';
          if (to === 'TASK_STATUS_PENDING' || to === 'TASK_STATUS_IN_PROGRESS')
            record.blockedBy = [];
          this.#touchTask(taskId);
          for (const dependent of this.dependents(taskId)) this.dirty.tasks.add(dependent);
          if (isTerminalTask(to) && record.agent) this.dirty.agents = true;
        }
        this.#progress = undefined;
        this.dirty.header = true;
        const from = event.from ? taskStatusStyle[event.from].label : '?';
        const reason = event.reason ? ` · ${event.reason}` : '';
        entry(
          taskId,
          'status',
          taskStatusStyle[to].tone,
          `${from} → ${taskStatusStyle[to].label}${reason}`,
        );
        return;
      }
      case 'task_assigned': {
        const taskId = event.task_id ?? '';
        const record = this.tasks.get(taskId);
        if (record) {
          record.task.worker = event.worker ?? '';
          if (event.attempt) record.task.attempt = event.attempt;
          // Each attempt runs its gates afresh (the lead clears them too).
          record.task.gates = [];
          if (event.kind && event.kind !== 'TASK_KIND_UNSPECIFIED') record.task.kind = event.kind;
          this.#touchTask(taskId);
        }
        entry(
          taskId,
          'assigned',
          'queued',
          `assigned to ${event.worker || 'a worker'} (attempt ${event.attempt ?? 1})`,
        );
        return;
      }
      case 'task_blocked': {
        const taskId = event.task_id ?? '';
        const record = this.tasks.get(taskId);
        if (record) {
          record.blockedBy = event.blocked_by ?? [];
          record.reason = event.reason ?? '';
          this.#touchTask(taskId);
        }
        this.#progress = undefined;
        this.dirty.header = true;
        entry(
          taskId,
          'status',
          'warn',
          `cannot start: ${event.reason || 'a dependency did not complete'}`,
        );
        return;
      }
      case 'task_unblocked': {
        const taskId = event.task_id ?? '';
        const record = this.tasks.get(taskId);
        if (record) {
          record.blockedBy = [];
          this.#touchTask(taskId);
        }
        this.#progress = undefined;
        this.dirty.header = true;
        entry(taskId, 'status', 'neutral', 'unblocked');
        return;
      }
      case 'agent_status_changed': {
        const taskId = event.task_id ?? '';
        const agentId = event.agent_id ?? '';
        const key = `${agentId}|${taskId}`;
        const agent: AgentRecord = {
          key,
          agentId,
          taskId,
          state: event.state ?? 'AGENT_STATE_UNSPECIFIED',
          detail: event.detail ?? '',
          since: Date.parse(event.timestamp) || Date.now(),
        };
        this.agents.set(key, agent);
        const record = this.tasks.get(taskId);
        if (record) {
          record.agent = agent;
          this.#touchTask(taskId);
        }
        this.dirty.agents = true;
        return;
      }
      case 'activity_update': {
        const taskId = event.task_id ?? '';
        entry(taskId, 'activity', event.is_error ? 'bad' : 'neutral', event.message ?? '', {
          tool: event.tool || undefined,
        });
        return;
      }
      case 'command_output': {
        this.log.output(
          { ...base, taskId: event.task_id ?? '' },
          event.command ?? '',
          event.stream ?? 'stdout',
          event.chunk ?? '',
          event.truncated ?? false,
        );
        this.dirty.log = true;
        return;
      }
      case 'progress_update': {
        this.#progress = {
          total: event.total ?? 0,
          completed: event.completed ?? 0,
          failed: event.failed ?? 0,
          inProgress: event.in_progress ?? 0,
          blocked: event.blocked ?? 0,
        };
        this.dirty.header = true;
        return;
      }
      case 'test_result': {
        const taskId = event.task_id ?? '';
        const summary = event.summary ?? {};
        const record = this.tasks.get(taskId);
        if (record) {
          record.tests.push({ ...base, attempt: event.attempt ?? 0, summary });
          record.task.tests = summary;
          this.#touchTask(taskId);
        }
        const failed = summary.failed ?? 0;
        const ok = failed === 0 && (summary.exit_code ?? 0) === 0;
        const parts = [`${summary.passed ?? 0} passed`, `${failed} failed`];
        if (summary.skipped) parts.push(`${summary.skipped} skipped`);
        const ms = Number(summary.duration_ms ?? 0);
        const how = [summary.framework, ms > 0 ? duration(ms) : ''].filter(Boolean).join(', ');
        entry(
          taskId,
          'test',
          ok ? 'ok' : 'bad',
          `tests ${ok ? 'passed' : 'failed'}: ${parts.join(', ')}${how ? ` (${how})` : ''}`,
          summary.output ? { detail: { label: 'output', text: summary.output } } : {},
        );
        return;
      }
      case 'correction_attempt': {
        const taskId = event.task_id ?? '';
        const correction: CorrectionRecord = {
          ...base,
          attempt: event.attempt ?? 0,
          maxAttempts: event.max_attempts ?? 0,
          failure: event.failure ?? '',
        };
        const record = this.tasks.get(taskId);
        if (record) {
          record.corrections.push(correction);
          this.#touchTask(taskId);
        }
        entry(
          taskId,
          'correction',
          'warn',
          `correction attempt ${correction.attempt} of ${correction.maxAttempts}`,
          correction.failure ? { detail: { label: 'failure', text: correction.failure } } : {},
        );
        return;
      }
      case 'review_completed': {
        const taskId = event.task_id ?? '';
        const review: ReviewRecord = {
          ...base,
          attempt: event.attempt ?? 0,
          approved: event.approved ?? false,
          summary: event.summary ?? '',
          comments: (event.comments ?? []).map((c) => ({
            path: c.path ?? '',
            line: c.line ?? 0,
            body: c.body ?? '',
          })),
        };
        const record = this.tasks.get(taskId);
        if (record) {
          record.reviews.push(review);
          this.#touchTask(taskId);
        }
        const verdict = review.approved
          ? 'approved'
          : `changes requested (${plural(review.comments.length, 'comment')})`;
        entry(
          taskId,
          'review',
          review.approved ? 'ok' : 'warn',
          `review of attempt ${review.attempt}: ${verdict}`,
        );
        return;
      }
      case 'quality_gate': {
        const taskId = event.task_id ?? '';
        const record = this.tasks.get(taskId);
        if (record) {
          record.task.gates = withGate(record.task.gates ?? [], event);
          this.#touchTask(taskId);
        }
        const { name = '', command = '', passed = false, summary = '' } = event;
        entry(
          taskId,
          'gate',
          passed ? 'ok' : 'bad',
          `${name} ${passed ? 'passed' : 'failed'}${command ? ` (${command})` : ''}`,
          summary && !passed ? { detail: { label: 'output', text: summary } } : {},
        );
        return;
      }
      case 'browser_check': {
        const taskId = event.task_id ?? '';
        const check: BrowserCheckRecord = {
          ...base,
          passed: event.passed ?? false,
          attempt: event.attempt ?? 0,
          url: event.url ?? '',
          consoleErrors: event.console_errors ?? [],
          missing: event.missing ?? [],
          error: event.error ?? '',
          screenshot: event.screenshot ?? '',
        };
        const record = this.tasks.get(taskId);
        if (record) {
          record.browserChecks.push(check);
          if (check.screenshot && !(record.task.artifacts ?? []).includes(check.screenshot))
            record.task.artifacts = [...(record.task.artifacts ?? []), check.screenshot];
          this.#touchTask(taskId);
        }
        const problems = [
          check.error,
          ...check.consoleErrors,
          ...check.missing.map((m) => `missing ${m}`),
        ].filter(Boolean);
        entry(
          taskId,
          'browser',
          check.passed ? 'ok' : 'bad',
          check.passed
            ? 'page checked in Chromium: loaded, no console errors'
            : `page failed its browser check (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'})`,
          problems.length ? { detail: { label: 'findings', text: problems.join('\n') } } : {},
        );
        return;
      }
      case 'context_compacted': {
        const before = Number(event.tokens_before ?? 0);
        const after = Number(event.tokens_after ?? 0);
        entry(
          event.task_id ?? '',
          'compaction',
          'neutral',
          `conversation compacted: about ${before} → ${after} tokens${event.reason ? ` (${event.reason})` : ''}`,
        );
        return;
      }
      case 'main_verified': {
        // The lead's check of a merge before main takes it: a red merge is taken out.
        const output = event.passed ? '' : (event.tests?.output ?? '');
        entry(
          event.task_id ?? '',
          'verification',
          event.passed ? 'ok' : 'bad',
          `${event.summary ?? ''}${event.reverted ? '; the merge was taken out: main stays at its commit before it' : ''}`,
          output ? { detail: { label: 'failing output', text: output } } : {},
        );
        return;
      }
      case 'commit_created': {
        const taskId = event.task_id ?? '';
        const commit: CommitRecord = {
          ...base,
          taskId,
          sha: event.sha ?? '',
          branch: event.branch ?? '',
          message: event.message ?? '',
          files: event.files_changed ?? [],
        };
        this.commits.push(commit);
        if (this.commits.length > COMMIT_LIMIT)
          this.commits.splice(0, this.commits.length - COMMIT_LIMIT);
        this.dirty.commits = true;
        const record = this.tasks.get(taskId);
        const merge = commit.branch === 'main';
        if (record) {
          record.commits.push(commit);
          if (merge) record.task.merge_sha = commit.sha;
          else record.task.commit_sha = commit.sha;
          this.#touchTask(taskId);
        }
        const files = plural(commit.files?.length ?? 0, 'file');
        entry(
          taskId,
          'commit',
          'ok',
          merge
            ? `merged into main as ${shortSha(commit.sha)} (${files})`
            : `committed ${shortSha(commit.sha)} on ${commit.branch || 'its branch'}: ${commit.message.split('\n')[0]} (${files})`,
        );
        return;
      }
      case 'blocker_created':
      case 'blocker_resolved': {
        const blocker = event.blocker ?? {};
        const id = blocker.id ?? '';
        const resolved = event.type === 'blocker_resolved';
        this.blockers.set(id, {
          blocker,
          sending: false,
          error: '',
          resolvedAt: resolved ? Date.now() : undefined,
        });
        this.dirty.blockers = true;
        const taskId = blocker.task_id ?? '';
        if (this.tasks.has(taskId)) this.#touchTask(taskId);
        // A blocker without a task is the project's own: its budget is spent.
        if (event.type === 'blocker_created') {
          const asks = taskId ? 'asks' : 'project waits';
          entry(taskId, 'blocker', 'warn', `${asks}: ${blocker.question ?? ''}`);
        } else {
          const answered = taskId ? 'blocker answered' : 'project goes on';
          entry(taskId, 'blocker', 'ok', `${answered}: ${blocker.answer ?? ''}`);
        }
        return;
      }
      case 'plan_ready': {
        const kept = new Map(this.tasks);
        this.tasks.clear();
        (event.tasks ?? []).forEach((task, order) => {
          this.tasks.set(task.id ?? '', this.#record(task, order, kept.get(task.id ?? '')));
        });
        this.#progress = undefined;
        this.dirty.board = this.dirty.header = true;
        entry('', 'plan', 'planning', `plan ready: ${plural(this.tasks.size, 'task')}`);
        return;
      }
      case 'project_status': {
        const status = event.status ?? 'PROJECT_STATUS_UNSPECIFIED';
        if (this.project) {
          this.project.status = status;
          this.project.updated_at = event.timestamp;
        }
        this.statusReason = event.reason ?? '';
        this.finishedAt =
          status === 'PROJECT_STATUS_COMPLETED' || status === 'PROJECT_STATUS_FAILED'
            ? Date.parse(event.timestamp) || Date.now()
            : undefined;
        this.dirty.header = true;
        const style = projectStatusStyle[status];
        const main = event.main;
        entry(
          '',
          'project',
          style.tone,
          `project ${style.label}${event.reason ? ` · ${event.reason}` : ''}`,
          main && !main.passed && main.tests?.output
            ? { detail: { label: "main's failing output", text: main.tests.output } }
            : {},
        );
        return;
      }
      case 'token_usage': {
        const taskId = event.task_id ?? '';
        const call = usageTotals(event.call);
        const record = this.tasks.get(taskId);
        if (record) {
          addInto(record.usage, call);
          this.#touchTask(taskId);
        } else {
          addInto(this.planningUsage, call);
        }
        this.dirty.header = true;
        return;
      }
      case 'file_changed': {
        const record = this.tasks.get(event.task_id ?? '');
        if (record) {
          record.files.set(event.path ?? '', event.change ?? 'FILE_CHANGE_KIND_UNSPECIFIED');
          this.#touchTask(record.task.id ?? '');
        }
        return;
      }
      default: {
        const unknown: never = event;
        console.warn('ignored an event of an unknown type', unknown);
      }
    }
  }

  /** On a first load, the commits the snapshot's tasks name (their files are not known). */
  #commitsFromTasks(): void {
    const ordered = [...this.tasks.values()].sort((a, b) =>
      (a.task.updated_at ?? '').localeCompare(b.task.updated_at ?? ''),
    );
    for (const record of ordered) {
      const { task } = record;
      const base = {
        seq: 0,
        timestamp: task.updated_at ?? '',
        taskId: task.id ?? '',
        files: undefined,
      };
      const found: CommitRecord[] = [];
      if (task.commit_sha) {
        found.push({
          ...base,
          sha: task.commit_sha,
          branch: task.branch ?? '',
          message: `${task.key}: ${task.title}`,
        });
      }
      if (task.merge_sha) {
        found.push({
          ...base,
          sha: task.merge_sha,
          branch: 'main',
          message: `Merge ${task.branch || 'task'}: ${task.title}`,
        });
      }
      this.commits.push(...found);
      if (record.commits.length === 0) record.commits.push(...found);
    }
  }

  #touchTask(taskId: string): void {
    this.dirty.tasks.add(taskId);
  }

  #record(task: Task, order: number, previous: TaskRecord | undefined): TaskRecord {
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
}

export function statusOf(record: TaskRecord): TaskStatus {
  return record.task.status ?? 'TASK_STATUS_UNSPECIFIED';
}
