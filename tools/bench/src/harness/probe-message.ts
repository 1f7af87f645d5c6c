/** The `msg` of the JSON line event-loop-probe.ts writes (kept apart: importing the probe runs it). */
export const PROBE_MESSAGE = 'bench probe';
