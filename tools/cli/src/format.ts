import { AgentState, ProjectStatus, TaskStatus } from '@codeframe/proto';

export const taskStatusName = (s: TaskStatus) => (TaskStatus[s] ?? 'UNKNOWN').toLowerCase();
export const projectStatusName = (s: ProjectStatus) =>
  (ProjectStatus[s] ?? 'UNKNOWN').toLowerCase();
export const agentStateName = (s: AgentState) =>
  s === AgentState.UNSPECIFIED
    ? 'starting'
    : (AgentState[s] ?? 'UNKNOWN').toLowerCase().replace('_', ' ');

export function formatTokens(n: number): string {
  if (n < 1_000) return String(n);
  if (n < 1_000_000) return `${(n / 1_000).toFixed(1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
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

/** Rows as aligned columns, the first row a header. */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
