// `npm run bench`: runs the benchmark suites one after the other on this machine, prints
// Markdown tables and writes every figure to tools/bench/results/<timestamp>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { WORKSPACE_ROOT } from '@codeframe/testkit';
import { benchOptions, type Suite, USAGE, UsageError } from './bench-options.js';
import { runFanOut } from './fan-out/fan-out-bench.js';
import { installChildCleanup, stopAllChildren } from './harness/child-registry.js';
import { backgroundLoad, machineInfo, type Settling, settle } from './machine-info.js';
import { runOrchestration } from './orchestration/orchestration-bench.js';
import { measureTestRun, TEST_RUN_SAMPLES } from './orchestration/test-run-baseline.js';
import { runPipeline } from './pipeline/pipeline-bench.js';
import { runPromptCache } from './prompt-cache/prompt-cache-bench.js';
import {
  fanOutSection,
  headerSection,
  orchestrationSection,
  pipelineSection,
  promptCacheSection,
  sandboxSection,
  workerSection,
} from './results-table.js';
import { runSandboxBench } from './sandbox/sandbox-bench.js';
import { runWorkerConcurrency } from './worker-concurrency/worker-concurrency-bench.js';

let options: ReturnType<typeof benchOptions>;
try {
  options = benchOptions(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  process.stderr.write(`${err.message ? `bench: ${err.message}\n` : ''}${USAGE}\n`);
  process.exit(err.message ? 2 : 0);
}

installChildCleanup();
const started = Date.now();
const startedAt = new Date(started).toISOString();
const progress = (line: string) =>
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);

const machine = machineInfo();
const background = await backgroundLoad();
if (background > 15) {
  progress(
    `warning: the machine is already ${background}% busy with other work; figures will be lower and noisier than on a quiet machine`,
  );
}

const results: Partial<Record<Suite, unknown>> = {};
const errors: Partial<Record<Suite, string>> = {};
const settled: Partial<Record<Suite, Settling>> = {};
const sections = [headerSection(machine, options.mode, startedAt, background)];
const runners: Record<Suite, () => Promise<string>> = {
  'fan-out': async () => {
    const r = await runFanOut(options.fanOut, progress);
    results['fan-out'] = r;
    return fanOutSection(r, machine.cores);
  },
  pipeline: async () => {
    const r = await runPipeline(options.pipeline, progress);
    results.pipeline = r;
    return pipelineSection(r);
  },
  orchestration: async () => {
    // One task's test run alone first (the bound with tests), then the same plan with merges
    // straight into main, then through the verifying merge queue.
    progress("orchestration: the bench project's test run alone, in a sandbox like the workers'");
    const testRun = await measureTestRun(TEST_RUN_SAMPLES);
    const off = await runOrchestration(options.orchestration, progress, false);
    const on = await runOrchestration(options.orchestration, progress, true);
    results.orchestration = { testRun, off, on };
    return orchestrationSection(testRun, off, on);
  },
  worker: async () => {
    const r = await runWorkerConcurrency(options.worker, progress);
    results.worker = r;
    return workerSection(r);
  },
  sandbox: async () => {
    const r = await runSandboxBench(options.sandbox, progress);
    results.sandbox = r;
    return sandboxSection(r);
  },
  'prompt-cache': async () => {
    const r = await runPromptCache(options.promptCache, progress);
    results['prompt-cache'] = r;
    return promptCacheSection(r);
  },
};

for (const [i, suite] of options.suites.entries()) {
  if (i > 0) {
    const settling = await settle();
    settled[suite] = settling;
    progress(
      `${suite}: the machine was ${settling.busyPercent}% busy after ${(settling.waitedMs / 1000).toFixed(1)} s of waiting for the suite before to wind down`,
    );
  }
  const suiteStarted = Date.now();
  try {
    sections.push(await runners[suite]());
    progress(`${suite}: done in ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    errors[suite] = message;
    sections.push(`### ${suite}\n\nFailed: ${message}`);
    progress(`${suite}: failed: ${message}`);
    await stopAllChildren();
  }
}

const finished = Date.now();
const outDir = options.outDir ?? join(WORKSPACE_ROOT, 'tools/bench/results');
mkdirSync(outDir, { recursive: true });
const file = join(outDir, `${startedAt.replace(/:/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      version: 1,
      mode: options.mode,
      startedAt,
      durationMs: finished - started,
      machine,
      backgroundLoadPercent: background,
      settledBefore: settled,
      params: {
        fanOut: options.fanOut,
        pipeline: options.pipeline,
        orchestration: options.orchestration,
        worker: options.worker,
        sandbox: options.sandbox,
        promptCache: options.promptCache,
      },
      results,
      errors,
    },
    null,
    2,
  )}\n`,
);
sections.push(
  `Run took ${((finished - started) / 1000).toFixed(0)} s; every figure is in ${relative(WORKSPACE_ROOT, file)}.`,
);
process.stdout.write(`${sections.join('\n\n')}\n`);
await stopAllChildren();
process.exit(Object.keys(errors).length > 0 ? 1 : 0);
