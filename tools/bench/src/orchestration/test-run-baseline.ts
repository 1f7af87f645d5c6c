import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, workerLikeSandbox } from '../harness/bench-sandbox.js';
import { BENCH_PROJECT_FILES } from './bench-project.js';

// What one task's test run costs by itself, measured in the same run as the orchestration:
// the bench project's test command on a checkout of it with one task's test file, in a
// sandbox like the workers' (bubblewrap, cgroups, the proxy to the registry), one run at a
// time on an otherwise idle cluster. Every task on the critical path runs its tests after
// the model's last call and before its merge, so no schedule beats the critical path ×
// (model time + this run). (Their CPU over the cores would be a bound too, but the machine's
// CPU counter takes in whatever else runs, and the processes in bubblewrap's namespaces
// escape their parent's count, so it is left out.)

export interface TestRunBaseline {
  /** The test command, as the workers run it. */
  command: string;
  runs: number;
  /** Median wall time of one run. */
  wallMs: number;
}

/** Runs measured (after a warm-up); the median is the figure. */
export const TEST_RUN_SAMPLES = 9;

/** Runs the bench project's tests `runs` times in a fresh sandbox (after one warm-up). */
export async function measureTestRun(runs: number): Promise<TestRunBaseline> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-test-run-'));
  const sandbox = await workerLikeSandbox(join(dir, 'sandbox'));
  try {
    const work = join(dir, 'work');
    await mkdir(work);
    for (const [path, content] of Object.entries(BENCH_PROJECT_FILES))
      await writeFile(join(work, path), content);
    // The file a task's last tool call writes (fake-anthropic's passingTest).
    await writeFile(
      join(work, 'task-1.test.mjs'),
      'import { test } from \'node:test\';\n\ntest("task-1", () => {});\n',
    );
    // An npm project's test script runs as itself (libs/agent's runner).
    const command = JSON.parse(BENCH_PROJECT_FILES['package.json']!).scripts.test as string;
    const run = async () => {
      const result = await sandbox.run({
        command,
        workspace: { path: work },
        timeoutMs: 60_000,
        maxOutputBytes: 1_000_000,
      });
      if (result.exitCode !== 0)
        throw new Error(`the bench project's tests failed alone: ${result.stderr.slice(-500)}`);
    };
    await run();
    const walls: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await run();
      walls.push(performance.now() - started);
    }
    return { command, runs, wallMs: median(walls) };
  } finally {
    await sandbox.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The critical path once each task's own test run counts (see the top of this file). */
export function boundWithTests(
  criticalPathTasks: number,
  modelMsPerTask: number,
  run: TestRunBaseline,
): number {
  return criticalPathTasks * (modelMsPerTask + run.wallMs);
}
