// One clock for every process of a run: CLOCK_MONOTONIC, which process.hrtime reads and
// which Linux shares between all processes of the machine. A publisher stamps an event
// with it and a receiver in another process subtracts, with no clock offset to correct.

/** Microseconds of the machine's monotonic clock. */
export function monotonicMicros(): number {
  const [s, ns] = process.hrtime();
  return s * 1e6 + Math.floor(ns / 1e3);
}
