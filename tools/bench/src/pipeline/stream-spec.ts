// How a benchmark task tells the synthetic worker what to stream: one line in the task's
// description, which the plan carries from the brain through the lead to the worker.

export type StreamSpec =
  | { kind: 'burst'; seconds: number }
  | { kind: 'rate'; perSecond: number; count: number };

const PREFIX = 'bench-stream:';

export function formatStreamSpec(spec: StreamSpec): string {
  return spec.kind === 'burst'
    ? `${PREFIX} burst ${spec.seconds}`
    : `${PREFIX} rate ${spec.perSecond} ${spec.count}`;
}

export function parseStreamSpec(text: string): StreamSpec | undefined {
  const match = /bench-stream: (burst|rate) ([\d.]+)(?: (\d+))?/.exec(text);
  if (!match) return undefined;
  if (match[1] === 'burst') return { kind: 'burst', seconds: Number(match[2]) };
  return { kind: 'rate', perSecond: Number(match[2]), count: Number(match[3] ?? 0) };
}
