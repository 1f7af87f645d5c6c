import { type Task, TaskKind } from '@codeframe/proto';
import type { TestBaseline } from './test-baseline.js';
import type { TestRun } from './test-runner.js';

// Whether the test run at finish lets a task pass. Green is not enough: a run of no tests
// exits 0 too, and deleting a failing test makes the rest green. A task passes when at
// least one test ran and none failed, when every test its base had still runs and passes
// (unless the task asks for tests to be removed), and, for a test task, when its new tests
// ran (more pass than the base had).

export type TestVerdict =
  | { ok: true }
  | {
      ok: false;
      /** Why the run does not count, for the task's error: "no test ran". */
      reason: string;
      /** What the model reads, with what to do about it. */
      feedback: string;
    };

export interface VerdictInput {
  run: TestRun;
  baseline: TestBaseline | undefined;
  task: Pick<Task, 'title' | 'description' | 'acceptanceCriteria' | 'kind'>;
  /** The worker's kind when the task names none. */
  kind: TaskKind;
}

/** "remove the legacy tests", "delete test/old.spec.js", "tests … to be dropped". */
const REMOVAL =
  /\b(?:remove|delete|drop|retire)\b[^.\n]*\btests?\b|\btests?\b[^.\n]*\b(?:removed|deleted|dropped|retired)\b/i;

/** Whether the task's own words ask for tests to go away. */
export function asksToRemoveTests(task: VerdictInput['task']): boolean {
  return [task.title, task.description, ...task.acceptanceCriteria].some((t) => REMOVAL.test(t));
}

export function testVerdict({ run, baseline, task, kind }: VerdictInput): TestVerdict {
  const { passed, command } = run.summary;
  if (!run.passed) {
    return {
      ok: false,
      reason: 'the tests still fail',
      feedback: 'The tests failed. Fix the code so that they pass, then call finish again.',
    };
  }
  if (passed === 0) {
    return {
      ok: false,
      reason: 'no test ran',
      feedback: `The tests did not run: \`${command}\` exited 0 but reported no passing test, and a run without tests does not count. Add tests for what you built where the repository keeps its tests, so that \`${command}\` runs them (node --test, vitest, jest, mocha, pytest, go test -v and cargo test report counts the worker reads), then call finish again.`,
    };
  }
  const removal = asksToRemoveTests(task);
  const base = baseline ? baseline.passed + baseline.failed : 0;
  if (baseline && !removal && passed < base) {
    return {
      ok: false,
      reason: `fewer tests pass (${passed}) than the base had (${base})`,
      feedback: `The run does not count: the base had ${base} tests (${baseline.passed} passing, ${baseline.failed} failing) and now ${passed} pass. Deleting, skipping or disabling a test does not make a task pass, and the task does not ask for tests to be removed. Restore the tests and make them pass, then call finish again.`,
    };
  }
  const isTestTask = (task.kind === TaskKind.UNSPECIFIED ? kind : task.kind) === TaskKind.TEST;
  if (isTestTask && !removal && passed <= base) {
    return {
      ok: false,
      reason: `no new test ran (${passed} pass, the base had ${base})`,
      feedback: `Your new tests did not run: ${passed} tests pass and the base had ${base}. A test task passes when the tests it adds run under \`${command}\` and pass. Put them where the test command finds them, then call finish again.`,
    };
  }
  return { ok: true };
}
