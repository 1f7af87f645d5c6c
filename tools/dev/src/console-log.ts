import type { LogLine } from './child-service.js';

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const COLORS: Record<string, string> = { warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[31m' };
const NAME_COLORS = ['\x1b[36m', '\x1b[35m', '\x1b[34m', '\x1b[32m', '\x1b[33m', '\x1b[96m'];
const DIM = '\x1b[2m';
const RESET = '\x1b[0m';
const HIDDEN_FIELDS = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

/** Formats a service's JSON log line as one readable console line. */
export function formatLogLine(
  service: string,
  index: number,
  line: LogLine,
  color: boolean,
): string {
  const time =
    typeof line.time === 'string'
      ? line.time.slice(11, 19)
      : new Date().toISOString().slice(11, 19);
  const level = LEVELS[line.level ?? 30] ?? 'info';
  const fields = Object.entries(line)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const name = service.padEnd(15);
  const text = `${line.msg ?? ''}${fields ? ` ${fields}` : ''}`;
  if (!color) return `${time} ${name} ${level.padEnd(5)} ${text}`;
  const nameColor = NAME_COLORS[index % NAME_COLORS.length];
  const levelColor = COLORS[level] ?? '';
  return `${DIM}${time}${RESET} ${nameColor}${name}${RESET} ${levelColor}${level.padEnd(5)}${RESET} ${levelColor}${text}${RESET}`;
}
