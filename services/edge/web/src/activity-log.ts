// The live activity log as data: a capped list of entries, with the output of a command
// folded into the entry of the command it belongs to instead of one line per chunk.
import { tail } from './format.js';
import type { Tone } from './status-style.js';

/** Entries kept in memory; the view shows at most the last `DOM_LIMIT` of them. */
const MEMORY_LIMIT = 2_000;
const OUTPUT_LIMIT = 32_000;

export type LogKind =
  | 'activity'
  | 'command'
  | 'status'
  | 'assigned'
  | 'test'
  | 'correction'
  | 'compaction'
  | 'review'
  | 'gate'
  | 'browser'
  | 'commit'
  | 'verification'
  | 'blocker'
  | 'project'
  | 'plan';

export interface CommandOutput {
  command: string;
  text: string;
  chunks: number;
  stderr: boolean;
  truncated: boolean;
}

export interface LogEntry {
  id: number;
  seq: number;
  timestamp: string;
  /** Empty for project-wide lines. */
  taskId: string;
  kind: LogKind;
  tone: Tone;
  text: string;
  tool?: string;
  /** A collapsible block under the line (a failure, a test output tail). */
  detail?: { label: string; text: string };
  /** The folded output of the command this line ran. */
  output?: CommandOutput;
}

export type NewEntry = Omit<LogEntry, 'id'>;

export class ActivityLog {
  readonly entries: LogEntry[] = [];
  /** Entries whose output grew since the last render. */
  readonly changed = new Set<LogEntry>();
  /** Bumped by `clear`, so a view knows to drop what it shows. */
  generation = 0;
  #nextId = 1;
  readonly #lastByTask = new Map<string, LogEntry>();

  add(entry: NewEntry): LogEntry {
    const added: LogEntry = { ...entry, id: this.#nextId++ };
    this.entries.push(added);
    if (this.entries.length > MEMORY_LIMIT * 1.25) {
      for (const dropped of this.entries.splice(0, this.entries.length - MEMORY_LIMIT)) {
        this.changed.delete(dropped);
      }
    }
    if (added.taskId) this.#lastByTask.set(added.taskId, added);
    return added;
  }

  /**
   * Folds a chunk into the task's latest line when that line is the same command, or the
   * tool call that started it; otherwise starts a command line.
   */
  output(
    base: Omit<NewEntry, 'kind' | 'tone' | 'text'>,
    command: string,
    stream: string,
    chunk: string,
    truncated: boolean,
  ): LogEntry {
    const last = this.#lastByTask.get(base.taskId);
    let entry: LogEntry | undefined;
    if (last?.output?.command === command) entry = last;
    else if (last && last.kind === 'activity' && last.tool && !last.output && last.tone !== 'bad') {
      entry = last;
      entry.output = { command, text: '', chunks: 0, stderr: false, truncated: false };
    }
    if (!entry) {
      entry = this.add({ ...base, kind: 'command', tone: 'neutral', text: command });
      entry.output = { command, text: '', chunks: 0, stderr: false, truncated: false };
    }
    const output = entry.output!;
    output.text = tail(output.text + chunk, OUTPUT_LIMIT);
    output.chunks += 1;
    output.stderr ||= stream === 'stderr';
    output.truncated ||= truncated;
    this.changed.add(entry);
    return entry;
  }

  clear(): void {
    this.generation += 1;
    this.entries.length = 0;
    this.changed.clear();
    this.#lastByTask.clear();
  }
}
