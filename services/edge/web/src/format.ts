// Small, locale-independent formatters: the dashboard is dense, so numbers are short.

const pad = (n: number) => String(n).padStart(2, '0');

/** `HH:MM:SS` in local time, from an RFC 3339 timestamp. */
export function clockTime(timestamp: string | undefined): string {
  const date = timestamp ? new Date(timestamp) : undefined;
  if (!date || Number.isNaN(date.getTime())) return '--:--:--';
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

export function parseTime(timestamp: string | undefined): number | undefined {
  if (!timestamp) return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) || ms <= 0 ? undefined : ms;
}

/** `$0.042`, `$1.23`, `$123`. */
export function usd(n: number): string {
  if (n === 0) return '$0.00';
  if (n < 1) return `$${n.toFixed(3)}`;
  if (n < 100) return `$${n.toFixed(2)}`;
  return `$${Math.round(n)}`;
}

/** `840ms`, `4.2s`, `2m 05s`, `1h 02m`. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)}s`;
  const s = Math.floor(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3_600)}h ${pad(Math.floor(s / 60) % 60)}m`;
}

/** `0:42`, `12:05`, `1:02:03`. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1_000));
  const h = Math.floor(s / 3_600);
  const m = Math.floor(s / 60) % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** `3s`, `4m`, `2h`, `3d`: how long ago, coarse. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1_000));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3_600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function shortSha(sha: string | undefined): string {
  return (sha ?? '').slice(0, 7);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** The last `max` characters of `text`, cut at a line start when possible. */
export function tail(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(text.length - max);
  const nl = cut.indexOf('\n');
  return nl >= 0 && nl < 200 ? cut.slice(nl + 1) : cut;
}
