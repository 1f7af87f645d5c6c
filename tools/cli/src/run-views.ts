import { toBrowserEvent } from '@codeframe/events';
import type { Event } from '@codeframe/proto';
import { TaskStatus } from '@codeframe/proto';
import { eventLine } from './event-lines.js';
import {
  agentStateName,
  bar,
  formatCost,
  formatDuration,
  formatTokens,
  jsonLine,
  printable,
  projectStatusName,
} from './format.js';
import type { RunState } from './run-state.js';

/** How a watched run is shown as its events arrive. */
export interface RunView {
  event(event: Event, state: RunState): void;
  /** Something about the watching itself, e.g. the lead being unreachable for a moment. */
  notice(message: string): void;
  /** Leaves the output tidy once the run has ended or the watch stopped. */
  close(state: RunState): void;
}

type Write = (text: string) => void;

/** `--json`: every event as one JSON line, in the browser protocol's shape. */
export class JsonView implements RunView {
  constructor(private readonly write: Write) {}
  event(event: Event): void {
    this.write(jsonLine(toBrowserEvent(event)));
  }
  notice(message: string): void {
    this.write(jsonLine({ type: 'notice', message }));
  }
  close(): void {}
}

/** Outside a terminal: a timestamped line per notable event. */
export class PlainView implements RunView {
  constructor(private readonly write: Write) {}
  event(event: Event, state: RunState): void {
    const line = eventLine(event, state);
    if (line) this.write(`${stamp()} ${line}\n`);
  }
  notice(message: string): void {
    this.write(`${stamp()} ${printable(message)}\n`);
  }
  close(): void {}
}

const stamp = () => new Date().toISOString().slice(11, 19);
const ACTIVE = new Set([TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.BLOCKED]);

/**
 * In a terminal: notable events scroll by as lines, and below them a live block, redrawn
 * at most ten times a second, shows the progress bar and a line per running task.
 */
export class TerminalView implements RunView {
  #drawn = 0;
  #dirty = false;
  #state: RunState | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #started = Date.now();

  constructor(
    private readonly write: Write,
    private readonly title: string,
    private readonly columns: () => number,
  ) {
    this.#timer = setInterval(() => this.#redraw(), 100);
  }

  event(event: Event, state: RunState): void {
    this.#state = state;
    const line = eventLine(event, state);
    if (line) this.#print(`${stamp()} ${line}`);
    this.#dirty = true;
  }

  notice(message: string): void {
    this.#print(`${stamp()} ${printable(message)}`);
  }

  close(state: RunState): void {
    clearInterval(this.#timer);
    this.#state = state;
    this.#dirty = true;
    this.#redraw();
    this.#drawn = 0;
  }

  #print(line: string): void {
    this.#clear();
    this.write(`${line}\n`);
    this.#dirty = true;
  }

  #clear(): void {
    if (this.#drawn > 0) this.write(`\x1b[${this.#drawn}F\x1b[J`);
    this.#drawn = 0;
  }

  #redraw(): void {
    if (!this.#dirty || !this.#state) return;
    this.#dirty = false;
    const lines = this.#block(this.#state);
    this.#clear();
    this.write(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }

  #block(state: RunState): string[] {
    const width = Math.max(40, this.columns());
    const t = state.totals;
    const done = t.completed + t.failed + t.cancelled;
    const head = `${this.title}  ${bar(done, t.tasks, 20)} ${t.completed}/${t.tasks} done${
      t.failed ? `, ${t.failed} failed` : ''
    }  ·  ${formatTokens(t.inputTokens + t.outputTokens)} tokens  ${formatCost(t.costUsd)}  ·  ${formatDuration(
      Date.now() - this.#started,
    )}  ·  ${projectStatusName(state.projectStatus)}`;
    const running = [...state.tasks.values()]
      .filter((task) => ACTIVE.has(task.status))
      .map((task) => {
        const step = task.agentDetail
          ? `${agentStateName(task.agentState)}: ${task.agentDetail}`
          : agentStateName(task.agentState);
        const fixes = task.corrections ? `, correction ${task.corrections}` : '';
        const agent = `${task.kind}@${task.worker || '…'}`;
        return `  ▸ ${task.key.padEnd(12)} ${agent.padEnd(26)} attempt ${task.attempt || 1}${fixes}  ${step}`;
      });
    // The block's own escapes are written by #clear; its lines are text, escaped.
    return [head, ...running]
      .map((line) => printable(line))
      .map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
  }
}
