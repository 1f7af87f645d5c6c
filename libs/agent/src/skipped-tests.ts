import type { Task } from '@codeframe/proto';
import { changedSince, fileAtCommit, type Workspace } from './git-workspace.js';
import { resolveInWorktree } from './path-guard.js';
import { isTestFile } from './test-baseline.js';
import { readRegularFile } from './worktree-files.js';

// The worker's own gate: a task does not pass by skipping or disabling the tests that fail.
// Two views, since either alone can be dodged: the lines the task added to test sources that
// skip a test (`test.skip(`, `xit(`, `{ skip: true }`, `@pytest.mark.skip`, `t.Skip(`,
// `#[ignore]`, …), and the runner's own count of skipped tests against the base's.

/** A line that skips, disables or postpones a test, in the frameworks the worker reads. */
const SKIP_LINE = new RegExp(
  [
    // vitest, jest, mocha, node:test: it.skip(, test.todo(, describe.skip(, t.skip(, this.skip()
    String.raw`\.(?:skip|todo)\s*\(`,
    String.raw`\b(?:it|test|describe|suite|context)\.(?:skip|todo|skipIf)\b`,
    // jasmine and mocha's x-prefixed forms
    String.raw`\bx(?:it|test|describe|context)\s*\(`,
    // node:test options: { skip: true }, { skip: 'reason' }, { todo: true }
    String.raw`\b(?:skip|todo)\s*:\s*(?:true\b|['"\x60])`,
    // pytest and unittest
    String.raw`@pytest\.mark\.(?:skip|skipif|xfail)\b`,
    String.raw`\bpytest\.skip\s*\(`,
    String.raw`@unittest\.(?:skip|skipIf|skipUnless|expectedFailure)\b`,
    String.raw`\bself\.skipTest\s*\(`,
    // go test, Rust, JUnit
    String.raw`\bt\.Skip(?:f|Now)?\s*\(`,
    String.raw`#\[ignore\b`,
    String.raw`@(?:Disabled|Ignore)\b`,
  ].join('|'),
);

/** Rust keeps tests in its sources; JUnit in *Test.java. */
const TEST_SOURCE = /\.rs$|Tests?\.java$|(?:^|\/)conftest\.py$/;

/** "skip the flaky test", "disable the tests of old.js", "tests … to be skipped". */
const ASKS_TO_SKIP =
  /\b(?:skip|disable|ignore|quarantine)\b[^.\n]*\btests?\b|\btests?\b[^.\n]*\b(?:skipped|disabled|ignored|quarantined)\b/i;

/** How many changed files and how many bytes of each the check reads, at most. */
const MAX_FILES = 2_000;
const MAX_FILE_BYTES = 1024 * 1024;
/** How many of the added lines the summary quotes. */
const QUOTED = 5;

export interface SkipCheck {
  passed: boolean;
  /** What the check compared, for the gate's `command`. */
  command: string;
  /** `math.test.js:4: test.skip(...)` lines and the count, or why it passed. */
  summary: string;
}

/** Whether the task's own words ask for tests to be skipped or disabled. */
export function asksToSkipTests(task: Pick<Task, 'title' | 'description' | 'acceptanceCriteria'>) {
  return [task.title, task.description, ...task.acceptanceCriteria].some((t) =>
    ASKS_TO_SKIP.test(t),
  );
}

/** The lines of `after` that skip a test and are not in `before` (as many times), numbered. */
export function addedSkips(file: string, before: string | undefined, after: string): string[] {
  const had = new Map<string, number>();
  for (const line of (before ?? '').split('\n')) {
    if (!SKIP_LINE.test(line)) continue;
    had.set(line.trim(), (had.get(line.trim()) ?? 0) + 1);
  }
  const added: string[] = [];
  after.split('\n').forEach((line, i) => {
    if (!SKIP_LINE.test(line)) return;
    const key = line.trim();
    const left = had.get(key) ?? 0;
    if (left > 0) had.set(key, left - 1);
    else added.push(`${file}:${i + 1}: ${key.slice(0, 160)}`);
  });
  return added;
}

export interface SkipCheckInput {
  workspace: Workspace;
  /** The commit the task's work is compared with: main where it started. */
  baseSha: string;
  task: Pick<Task, 'title' | 'description' | 'acceptanceCriteria'>;
  /** Skipped tests the run at finish counted, and the base's run (0 when it has no tests). */
  skipped: number;
  baseSkipped: number;
  signal?: AbortSignal;
}

/** Checks that the task added no skipped or disabled test. */
export async function checkSkippedTests(input: SkipCheckInput): Promise<SkipCheck> {
  const { workspace, baseSha, skipped, baseSkipped, signal } = input;
  const command = `the changes since ${baseSha.slice(0, 12)} and the skipped-test count`;
  if (asksToSkipTests(input.task)) {
    return { passed: true, command, summary: 'the task asks for tests to be skipped' };
  }
  const added: string[] = [];
  const files = (await changedSince(workspace, baseSha, signal))
    .filter(({ path }) => isTestFile(path) || TEST_SOURCE.test(path))
    .slice(0, MAX_FILES);
  for (const { path: file, added: isNew } of files) {
    const path = await resolveInWorktree(workspace.path, file).catch(() => undefined);
    const now = path && (await readRegularFile(path, file, MAX_FILE_BYTES).catch(() => undefined));
    if (!now) continue;
    const before = isNew ? undefined : await fileAtCommit(workspace, baseSha, file, signal);
    added.push(...addedSkips(file, before, now.text));
  }
  const problems: string[] = [];
  if (added.length > 0) {
    const more = added.length > QUOTED ? `\n…and ${added.length - QUOTED} more` : '';
    problems.push(
      `${added.length} added line(s) skip or disable a test:\n${added.slice(0, QUOTED).join('\n')}${more}`,
    );
  }
  if (skipped > baseSkipped) {
    problems.push(`the test run reports ${skipped} skipped test(s); the base had ${baseSkipped}`);
  }
  if (problems.length === 0) {
    return {
      passed: true,
      command,
      summary: `no skipped test added (${skipped} skipped, as the base had ${baseSkipped})`,
    };
  }
  return { passed: false, command, summary: problems.join('\n') };
}
