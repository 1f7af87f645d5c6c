import {
  AgentState,
  ProjectStatus,
  type QualityGate,
  TaskKind,
  TaskStatus,
} from '@codeframe/proto';
import { isControlCharacter } from '@codeframe/runtime';
import { displayWidth, padToWidth } from './display-width.js';

/**
 * An enum value's name in lower case, `in_progress`, from the proto enum (commands that ask
 * the lead) or its JSON name, `TASK_STATUS_IN_PROGRESS` (the browser shape events fold into).
 */
const enumName =
  (names: Record<number, string>, prefix: string) =>
  (value: number | string | undefined): string => {
    const name =
      typeof value === 'number'
        ? names[value]
        : value?.startsWith(prefix)
          ? value.slice(prefix.length)
          : undefined;
    return (name ?? 'UNKNOWN').toLowerCase();
  };

export const taskStatusName = enumName(TaskStatus, 'TASK_STATUS_');
export const projectStatusName = enumName(ProjectStatus, 'PROJECT_STATUS_');
export const taskKindName = enumName(TaskKind, 'TASK_KIND_');
const agentState = enumName(AgentState, 'AGENT_STATE_');
export const agentStateName = (s: AgentState | string | undefined) =>
  s === undefined || s === AgentState.UNSPECIFIED || s === 'AGENT_STATE_UNSPECIFIED'
    ? 'starting'
    : agentState(s).replace('_', ' ');

/** A task's quality gates in one cell, `lint ✓ typecheck ✗`; '-' when it ran none. */
export function gatesCell(gates: readonly QualityGate[]): string {
  return gates.map((g) => `${printable(g.name)} ${g.passed ? '✓' : '✗'}`).join(' ') || '-';
}

export function formatCost(usd: number): string {
  return usd < 10 ? `$${usd.toFixed(3)}` : `$${usd.toFixed(2)}`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}:${String(s).padStart(2, '0')}`;
}

export function bar(done: number, total: number, width: number): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** Rows as aligned columns (by display width: wide characters count two), the first row a
 * header. */
export function table(cells: string[][]): string {
  const rows = cells.map((row) => row.map((cell) => printable(cell)));
  const widths =
    rows[0]?.map((_, i) => Math.max(...rows.map((r) => displayWidth(r[i] ?? '')))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => padToWidth(cell, widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const NAMED: Record<string, string> = { '\t': '\\t', '\r': '\\r', '\n': '\\n' };
const hex = (code: number, digits: number) => code.toString(16).padStart(digits, '0');

/**
 * Text from the model, a worker or another client, safe for a terminal: every control
 * character shown as an escape (`\x1b`, `\r`). Multi-line text keeps its new lines.
 * Every printer passes such text through this.
 */
export function printable(text: string, options: { multiline?: boolean } = {}): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (!isControlCharacter(code) || (options.multiline && c === '\n')) out += c;
    else out += NAMED[c] ?? `\\x${hex(code, 2)}`;
  }
  return out;
}

/** One JSON line; DEL and C1 controls escaped too (JSON.stringify leaves them raw). */
export function jsonLine(value: unknown): string {
  let out = '';
  for (const c of JSON.stringify(value)) {
    const code = c.charCodeAt(0);
    out += isControlCharacter(code) ? `\\u${hex(code, 4)}` : c;
  }
  return `${out}\n`;
}
