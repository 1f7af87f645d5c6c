// Reads the pass/fail counts from a test runner's own summary, so a test run reports numbers
// and not only an exit code. Runners print that summary once per run; when a command runs
// several (a workspace running each package's tests), their counts add up.

export type TestFramework =
  | 'node:test'
  | 'vitest'
  | 'jest'
  | 'mocha'
  | 'pytest'
  | 'go'
  | 'cargo'
  | 'unknown';

export interface TestCounts {
  framework: TestFramework;
  passed: number;
  failed: number;
  skipped: number;
  /** As the runner reported it; 0 when it did not. */
  durationMs: number;
}

// Output is the model's (up to 1 MB): no pattern lets whitespace run across lines, which
// made a run of blank lines cost quadratic time on the worker's event loop.

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts every ANSI colour code
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;

/** Counts from the summary of node --test (spec or TAP reporter), vitest, jest, mocha,
 * pytest, go test -v or cargo test. */
export function parseTestOutput(output: string): TestCounts {
  const text = output.replace(ANSI, '').replace(/\r/g, '');
  return (
    nodeTest(text) ??
    vitest(text) ??
    jest(text) ??
    mocha(text) ??
    pytest(text) ??
    goTest(text) ??
    cargoTest(text) ?? { framework: 'unknown', passed: 0, failed: 0, skipped: 0, durationMs: 0 }
  );
}

/** Adds up the `<number> <word>` pairs of every summary found; null when none was. */
function tally(matches: Iterable<RegExpMatchArray>, pairs: (match: RegExpMatchArray) => string[]) {
  const counts = new Map<string, number>();
  let found = false;
  for (const match of matches) {
    found = true;
    for (const pair of pairs(match)) {
      const [, value, word] = /^\s*([\d.]+) ([a-z_]+)/.exec(pair) ?? [];
      if (word) counts.set(word, (counts.get(word) ?? 0) + Number(value));
    }
  }
  const get = (...words: string[]) => words.reduce((sum, w) => sum + (counts.get(w) ?? 0), 0);
  return found ? get : null;
}

function nodeTest(text: string): TestCounts | null {
  // `ℹ pass 2` from the spec reporter, `# pass 2` from TAP; unindented, unlike subtests'.
  const lines = text.matchAll(
    /^(?:ℹ|#) (tests|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/gm,
  );
  const get = tally(lines, (m) => [`${m[2]} ${m[1]}`]);
  if (!get || !/^(?:ℹ|#) tests \d+$/m.test(text)) return null;
  return {
    framework: 'node:test',
    passed: get('pass'),
    failed: get('fail', 'cancelled'),
    skipped: get('skipped', 'todo'),
    durationMs: get('duration_ms'),
  };
}

function vitest(text: string): TestCounts | null {
  // `      Tests  2 failed | 5 passed | 1 skipped (8)`; `Test Files` above it counts files.
  const lines = text.matchAll(/^[ \t]*Tests {2}(\d+ [a-z]+(?: \| \d+ [a-z]+)*) \(\d+\)$/gm);
  const get = tally(lines, (m) => m[1]!.split(' | '));
  if (!get) return null;
  let durationMs = 0;
  for (const [, value, unit] of text.matchAll(/^[ \t]*Duration {2}([\d.]+)(ms|s)\b/gm)) {
    durationMs += Number(value) * (unit === 's' ? 1000 : 1);
  }
  return {
    framework: 'vitest',
    passed: get('passed'),
    failed: get('failed'),
    skipped: get('skipped', 'todo'),
    durationMs,
  };
}

const PYTEST_WORDS = /\d+ (?:passed|failed|skipped|errors?|xfailed|xpassed|deselected)\b/;

function pytest(text: string): TestCounts | null {
  // `==== 2 failed, 5 passed, 1 skipped in 0.12s ====`, or without the rule under -q.
  const lines = [
    ...text.matchAll(/^=* ?((?:\d+ [a-z]+)(?:, \d+ [a-z]+)*|no tests ran) in ([\d.]+)s\b.*$/gm),
  ].filter((m) => m[1] === 'no tests ran' || PYTEST_WORDS.test(m[1]!));
  const get = tally(lines, (m) => [...m[1]!.split(', '), `${Number(m[2]) * 1000} ms`]);
  if (!get) return null;
  return {
    framework: 'pytest',
    passed: get('passed', 'xpassed'),
    failed: get('failed', 'error', 'errors'),
    skipped: get('skipped', 'xfailed'),
    durationMs: get('ms'),
  };
}

function jest(text: string): TestCounts | null {
  // `Tests:       1 failed, 1 skipped, 5 passed, 7 total`
  const lines = text.matchAll(/^Tests:[ \t]+((?:\d+ [a-z]+, )*\d+ total)$/gm);
  const get = tally(lines, (m) => m[1]!.split(', '));
  if (!get) return null;
  const time = /^Time:[ \t]+([\d.]+) ?(ms|s)\b/m.exec(text);
  const durationMs = time ? Number(time[1]) * (time[2] === 's' ? 1000 : 1) : 0;
  return {
    framework: 'jest',
    passed: get('passed'),
    failed: get('failed'),
    skipped: get('skipped', 'todo'),
    durationMs,
  };
}

function mocha(text: string): TestCounts | null {
  // `  5 passing (12ms)`, then `  1 pending` and `  2 failing` when there are any.
  const passing = [...text.matchAll(/^[ \t]*(\d+) passing \(([\d.]+)(ms|s|m)\)$/gm)];
  if (passing.length === 0) return null;
  const count = (word: string) =>
    [...text.matchAll(new RegExp(`^[ \\t]*(\\d+) ${word}$`, 'gm'))].reduce(
      (sum, m) => sum + Number(m[1]),
      0,
    );
  const unit = { ms: 1, s: 1000, m: 60_000 } as const;
  return {
    framework: 'mocha',
    passed: passing.reduce((sum, m) => sum + Number(m[1]), 0),
    failed: count('failing'),
    skipped: count('pending'),
    durationMs: passing.reduce((sum, m) => sum + Number(m[2]) * unit[m[3] as keyof typeof unit], 0),
  };
}

function goTest(text: string): TestCounts | null {
  // `go test -v`: `--- PASS: TestAdd (0.00s)`, indented for subtests; `ok  	pkg	0.01s`.
  const results = [...text.matchAll(/^[ \t]*--- (PASS|FAIL|SKIP): \S+ \(([\d.]+)s\)$/gm)];
  const packages = [...text.matchAll(/^(?:ok|FAIL)[ \t]+\S+[ \t]+([\d.]+)s$/gm)];
  if (results.length === 0 && packages.length === 0) return null;
  const count = (word: string) => results.filter((m) => m[1] === word).length;
  const seconds = packages.reduce((sum, m) => sum + Number(m[1]), 0);
  return {
    framework: 'go',
    passed: count('PASS'),
    failed: count('FAIL'),
    skipped: count('SKIP'),
    durationMs: Math.round(seconds * 1000),
  };
}

function cargoTest(text: string): TestCounts | null {
  // `test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s`
  const lines = [
    ...text.matchAll(
      /^test result: \w+\. (\d+ passed; \d+ failed; \d+ ignored)[^\n]*?(?:finished in ([\d.]+)s)?$/gm,
    ),
  ];
  const get = tally(lines, (m) => [...m[1]!.split('; '), `${Number(m[2] ?? 0) * 1000} ms`]);
  if (!get) return null;
  return {
    framework: 'cargo',
    passed: get('passed'),
    failed: get('failed'),
    skipped: get('ignored'),
    durationMs: get('ms'),
  };
}
