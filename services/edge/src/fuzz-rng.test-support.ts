// Seeded, bounded fuzzing: the same seed replays the same cases, and the number of cases
// is small in CI and larger on demand. The same API as testkit's fuzz helpers on main
// (written at the same time); once both are merged, import those instead.

/** How many cases to run: `CODEFRAME_FUZZ_CASES`, else `fallback`. */
export function fuzzCases(fallback: number): number {
  const given = Number(process.env.CODEFRAME_FUZZ_CASES);
  return Number.isSafeInteger(given) && given > 0 ? given : fallback;
}

/** The seed of this run: `CODEFRAME_FUZZ_SEED` to replay one, else a fresh one. */
export function fuzzSeed(): number {
  const given = Number(process.env.CODEFRAME_FUZZ_SEED);
  return Number.isSafeInteger(given) ? given >>> 0 : (Math.random() * 2 ** 32) >>> 0;
}

/** mulberry32: small, fast, and the same on every machine. */
export class Rng {
  #state: number;

  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}
