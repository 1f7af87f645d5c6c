// The project as the dashboard knows it: the shared view of its events (libs/events), plus
// what only the dashboard has: the activity log, what changed since the last render
// (`dirty`, so a frame re-renders only those sections) and answers to blockers in flight.
import {
  type BrowserEvent,
  type BrowserEventType,
  type BrowserSnapshot,
  isTaskFinished,
  ProjectView,
  type TaskRecord,
} from '@codeframe/events/view';
import { activityEntry } from './activity-entries.js';
import { ActivityLog } from './activity-log.js';
import type { TaskStatus } from './protocol.js';

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

/** An answer to a blocker the dashboard sent: in flight, or refused with an error. */
export interface AnswerState {
  /** Sent, and neither a resolution nor an error came back yet. */
  sending: boolean;
  error: string;
}

const NO_ANSWER: AnswerState = { sending: false, error: '' };

/** Events that change their task's card. */
const TASK_EVENTS = new Set<BrowserEventType>([
  'task_status_changed',
  'task_assigned',
  'task_blocked',
  'task_unblocked',
  'agent_status_changed',
  'test_result',
  'correction_attempt',
  'review_completed',
  'quality_gate',
  'browser_check',
  'commit_created',
  'token_usage',
  'file_changed',
]);

/** Events that change the header: status, progress, tokens and cost. */
const HEADER_EVENTS = new Set<BrowserEventType>([
  'task_status_changed',
  'task_blocked',
  'task_unblocked',
  'progress_update',
  'plan_ready',
  'project_status',
  'token_usage',
]);

export class ProjectState extends ProjectView {
  readonly log = new ActivityLog();
  readonly dirty = new Dirty();
  readonly #answers = new Map<string, AnswerState>();

  /** Replaces everything but the log with a snapshot (initial load, or after a gap). */
  override reset(snapshot: BrowserSnapshot): void {
    super.reset(snapshot);
    this.#answers.clear();
    this.dirty.everything();
  }

  /** Forgets everything, log included (another project was chosen). */
  override clear(): void {
    super.clear();
    this.log.clear();
    this.#answers.clear();
    this.dirty.everything();
  }

  answer(blockerId: string): AnswerState {
    return this.#answers.get(blockerId) ?? NO_ANSWER;
  }

  markSending(blockerId: string): void {
    if (!this.blockers.has(blockerId)) return;
    this.#answers.set(blockerId, { sending: true, error: '' });
    this.dirty.blockers = true;
  }

  blockerFailed(blockerId: string, error: string): void {
    if (!this.blockers.has(blockerId)) return;
    this.#answers.set(blockerId, { sending: false, error });
    this.dirty.blockers = true;
  }

  /** The socket dropped: answers still in flight may or may not have reached the edge. */
  connectionLost(): void {
    for (const [id, answer] of this.#answers) {
      if (!answer.sending) continue;
      this.#answers.set(id, {
        sending: false,
        error:
          'the connection dropped before the edge confirmed this answer; send it again if the blocker stays open',
      });
      this.dirty.blockers = true;
    }
  }

  override apply(event: BrowserEvent): void {
    super.apply(event);
    this.#mark(event);
    if (event.type === 'command_output') {
      this.log.output(
        { seq: event.seq, timestamp: event.timestamp, taskId: event.task_id ?? '' },
        event.command ?? '',
        event.stream ?? 'stdout',
        event.chunk ?? '',
        event.truncated ?? false,
      );
      this.dirty.log = true;
      return;
    }
    const entry = activityEntry(event, this);
    if (entry) {
      this.log.add(entry);
      this.dirty.log = true;
    }
  }

  /** Marks the sections `event` changed. */
  #mark(event: BrowserEvent): void {
    const dirty = this.dirty;
    if (HEADER_EVENTS.has(event.type)) dirty.header = true;
    if (TASK_EVENTS.has(event.type) && 'task_id' in event) {
      const taskId = event.task_id ?? '';
      if (this.tasks.has(taskId)) dirty.tasks.add(taskId);
    }
    switch (event.type) {
      case 'task_status_changed': {
        const record = this.tasks.get(event.task_id ?? '');
        if (!record) return;
        for (const dependent of this.dependents(event.task_id ?? '')) dirty.tasks.add(dependent);
        if (isTaskFinished(event.to) && record.agent) dirty.agents = true;
        return;
      }
      case 'agent_status_changed':
        dirty.agents = true;
        return;
      case 'commit_created':
        dirty.commits = true;
        return;
      case 'blocker_created':
      case 'blocker_resolved': {
        const blocker = event.blocker ?? {};
        this.#answers.delete(blocker.id ?? '');
        dirty.blockers = true;
        const taskId = blocker.task_id ?? '';
        if (this.tasks.has(taskId)) dirty.tasks.add(taskId);
        return;
      }
      case 'plan_ready':
        dirty.board = true;
        return;
      default:
        return;
    }
  }
}

export function statusOf(record: TaskRecord): TaskStatus {
  return record.task.status ?? 'TASK_STATUS_UNSPECIFIED';
}
