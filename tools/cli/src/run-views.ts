import { type BrowserEvent, type ProjectView, tokensText } from '@codeframe/events';
import { fitToWidth, padToWidth } from './display-width.js';
import { eventLine } from './event-lines.js';
import {
  agentStateName,
  bar,
  formatCost,
  formatDuration,
  jsonLine,
  printable,
  projectStatusName,
  taskKindName,
} from './format.js';

/** How a watched run is shown as its events arrive. */
export interface RunView {
  event(event: BrowserEvent, view: ProjectView): void;
  /** Something about the watching itself, e.g. the lead being unreachable for a moment. */
  notice(message: string): void;
  /** Leaves the output tidy once the run has ended or the watch stopped. */
  close(view: ProjectView): void;
}

type Write = (text: string) => void;

/** `--json`: every event as one JSON line, in the browser protocol's shape. */
export class JsonView implements RunView {
  constructor(private readonly write: Write) {}
  event(event: BrowserEvent): void {
    this.write(jsonLine(event));
  }
  notice(message: string): void {
    this.write(jsonLine({ type: 'notice', message }));
  }
  close(): void {}
}

/** Outside a terminal: a timestamped line per notable event. */
export class PlainView implements RunView {
  constructor(private readonly write: Write) {}
  event(event: BrowserEvent, view: ProjectView): void {
    const line = eventLine(event, view);
    if (line) this.write(`${stamp()} ${line}\n`);
  }
  notice(message: string): void {
    this.write(`${stamp()} ${printable(message)}\n`);
  }
  close(): void {}
}

const stamp = () => new Date().toISOString().slice(11, 19);
const ACTIVE = new Set(['TASK_STATUS_ASSIGNED', 'TASK_STATUS_IN_PROGRESS', 'TASK_STATUS_BLOCKED']);

/**
 * In a terminal: notable events scroll by as lines, and below them a live block, redrawn
 * at most ten times a second, shows the progress bar and a line per running task.
 */
export class TerminalView implements RunView {
  #drawn = 0;
  #dirty = false;
  #view: ProjectView | undefined;
  readonly #timer: NodeJS.Timeout;
  readonly #started = Date.now();

  constructor(
    private readonly write: Write,
    private readonly title: string,
    private readonly columns: () => number,
  ) {
    this.#timer = setInterval(() => this.#redraw(), 100);
  }

  event(event: BrowserEvent, view: ProjectView): void {
    this.#view = view;
    const line = eventLine(event, view);
    if (line) this.#print(`${stamp()} ${line}`);
    this.#dirty = true;
  }

  notice(message: string): void {
    this.#print(`${stamp()} ${printable(message)}`);
  }

  close(view: ProjectView): void {
    clearInterval(this.#timer);
    this.#view = view;
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
    if (!this.#dirty || !this.#view) return;
    this.#dirty = false;
    const lines = this.#block(this.#view);
    this.#clear();
    this.write(`${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }

  #block(view: ProjectView): string[] {
    // Each line fits the terminal, or the redraw's cursor movements would miss wrapped lines.
    const width = Math.max(8, this.columns());
    const p = view.progress;
    const usage = view.usage;
    const done = p.completed + p.failed + p.cancelled;
    const head = `${this.title}  ${bar(done, p.total, 20)} ${p.completed}/${p.total} done${
      p.failed ? `, ${p.failed} failed` : ''
    }  ·  ${tokensText(usage)}  ${formatCost(usage.costUsd)}  ·  ${formatDuration(
      Date.now() - this.#started,
    )}  ·  ${projectStatusName(view.status)}`;
    const running = [...view.tasks.values()]
      .filter((record) => ACTIVE.has(record.task.status ?? ''))
      .map(({ task, agent, corrections }) => {
        const state = agentStateName(agent?.state);
        const step = agent?.detail ? `${state}: ${agent.detail}` : state;
        const fixes = corrections.length ? `, correction ${corrections.length}` : '';
        const who = `${taskKindName(task.kind)}@${task.worker || '…'}`;
        return `  ▸ ${padToWidth(printable(view.taskKey(task.id ?? '')), 12)} ${padToWidth(printable(who), 26)} attempt ${task.attempt || 1}${fixes}  ${step}`;
      });
    // The block's own escapes are written by #clear; its lines are text, escaped.
    return [head, ...running].map((line) => fitToWidth(printable(line), width));
  }
}
