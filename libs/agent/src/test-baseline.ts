import type { KnownTestRun, TaskEvent } from '@codeframe/proto';
import type { EventChannel } from './event-channel.js';
import { type Workspace, whileCheckedOutAt } from './git-workspace.js';
import type { TaskEventFactory } from './task-events.js';
import type { TestRun } from './test-runner.js';
import { walkFiles } from './worktree-files.js';

// What the tests of a task's base counted before the model changed anything, so that a task
// cannot pass by deleting or skipping tests (see test-verdict.ts). It costs one test run
// when the base has tests (none when it has none); tasks of one worker starting from the
// same commit share that run, and none is needed when the lead sent its own run of that
// commit (the verified main a task starts from). The run goes on while the model thinks
// about its first turn: the agent loop waits for it only before the first tool touches
// the worktree (agent-loop.ts), so a slow test suite no longer delays the first call.

export interface TestBaseline {
  passed: number;
  failed: number;
  /** Skipped (and todo) tests: a task that skips more does not pass (skipped-tests.ts). */
  skipped: number;
  command: string;
}

export interface BaselineInput {
  workspace: Workspace;
  /** The test command once, as the finish gate runs it. */
  runTests: () => Promise<TestRun>;
  testCommand: () => Promise<string>;
  signal: AbortSignal;
  events: TaskEventFactory;
  channel: EventChannel<TaskEvent>;
  /**
   * When the checkout continues an earlier attempt's work, the commit of main it grew from
   * and the task's branch: the base is measured there, so tests an earlier attempt deleted
   * still count.
   */
  from?: { sha: string; branch: string };
  /** The lead's run of main's tests (ExecuteTaskRequest.base_tests), when it sent one. */
  known?: KnownTestRun;
}

/** Test files by their names: `*.test.js`, `*.spec.ts`, `test_x.py`, `x_test.go`, `tests/…`. */
const TEST_FILE =
  /(?:^|\/)(?:tests?|__tests__|spec)\/|[._-](?:test|spec)\.[cm]?[jt]sx?$|(?:^|\/)test_[^/]*\.py$|_test\.(?:py|go)$/;
/** A Rust crate keeps its tests inside its sources. */
const TESTS_INSIDE = /(?:^|\/)Cargo\.toml$/;
const WALK = { skip: new Set(['.git', 'node_modules', '.venv', 'venv']), maxEntries: 20_000 };

/** Measured bases by commit and command; a run in progress is shared. */
const measured = new Map<string, Promise<TestBaseline>>();
const MEASURED_MAX = 64;

/** Whether a path is a test file by its name. */
export const isTestFile = (path: string): boolean => TEST_FILE.test(path);

/** Whether the checkout holds anything a test command would run. */
export async function hasTests(worktree: string): Promise<boolean> {
  const { files } = await walkFiles(worktree, worktree, '.', WALK);
  return files.some((file) => TEST_FILE.test(file) || TESTS_INSIDE.test(file));
}

/** A measurement of the base's tests in progress (a generator's return value is awaited, so
 * the promise travels in an object). */
export interface BaselineRun {
  /** The counts, or undefined when there is nothing to count or the run did not end well. */
  readonly counts: Promise<TestBaseline | undefined>;
}

/**
 * Starts measuring the tests of the base checkout, when it has tests, and returns the
 * measurement in progress: it settles with the counts, or with undefined when the base has
 * no tests or the run stopped or broke (then nothing is kept). Until it settles, the
 * worktree belongs to the run (an earlier attempt's base may be checked out in it). Announced
 * as activities: the first ones yielded here, the outcome pushed into the channel.
 */
export async function* startBaseline(input: BaselineInput): AsyncGenerator<TaskEvent, BaselineRun> {
  const { workspace, events, channel, from } = input;
  const inBase = <T>(fn: () => Promise<T>) =>
    from ? whileCheckedOutAt(workspace, from.sha, from.branch, fn) : fn();
  if (!(await inBase(() => hasTests(workspace.path))))
    return { counts: Promise.resolve(undefined) };
  const command = await input.testCommand();
  const commit = from?.sha ?? workspace.baseSha;
  const key = `${commit}\0${command}`;
  const { known } = input;
  let run = measured.get(key);
  if (!run && known?.tests && known.commitSha === commit && known.tests.command === command) {
    // The same command on the same commit, run by the lead's verification of main.
    const { passed, failed, skipped } = known.tests;
    yield events.activity(
      `the base's tests (${command}) were run when the lead verified main at ${commit.slice(0, 12)}`,
    );
    run = Promise.resolve({ passed, failed, skipped, command });
    remember(key, run);
  } else if (run) {
    yield events.activity(`the base's tests (${command}) were measured for this commit before`);
  } else {
    const where = from
      ? ` on main at ${from.sha.slice(0, 12)}, where the earlier work started`
      : '';
    yield events.activity(
      `measuring the base's tests${where} while the model starts (its tools wait for them): ${command}`,
    );
    const { signal } = input;
    run = inBase(() => input.runTests()).then(({ summary }) => {
      // A run cut short by the task's end counted only part of the tests.
      if (signal.aborted) throw new Error('the task stopped before the tests ended');
      return { passed: summary.passed, failed: summary.failed, skipped: summary.skipped, command };
    });
    remember(key, run);
  }
  const counts = run.then(
    (base) => {
      channel.push(
        events.activity(`the base has ${base.passed} passing and ${base.failed} failing tests`),
      );
      return base;
    },
    (err) => {
      channel.push(events.activity(`could not measure the base's tests: ${String(err)}`, '', true));
      return undefined;
    },
  );
  return { counts };
}

function remember(key: string, run: Promise<TestBaseline>): void {
  measured.set(key, run);
  run.catch(() => measured.delete(key));
  for (const old of measured.keys()) {
    if (measured.size <= MEASURED_MAX) break;
    measured.delete(old);
  }
}
