// The harness at tiny sizes: every piece runs against the real services and reports
// well-formed figures, and every message it sent arrived. No timing is asserted.
import { describe, expect, it } from 'vitest';
import { runFanOut } from './fan-out/fan-out-bench.js';
import { runOrchestration } from './orchestration/orchestration-bench.js';
import { boundWithTests, measureTestRun } from './orchestration/test-run-baseline.js';
import { runPipeline } from './pipeline/pipeline-bench.js';
import { runPromptCache } from './prompt-cache/prompt-cache-bench.js';
import {
  fanOutSection,
  orchestrationSection,
  pipelineSection,
  promptCacheSection,
  sandboxSection,
  workerSection,
} from './results-table.js';
import { runSandboxBench } from './sandbox/sandbox-bench.js';
import { runWorkerConcurrency } from './worker-concurrency/worker-concurrency-bench.js';

describe('npm run bench at tiny sizes', () => {
  it('fans every event out to 20 clients of the edge, raw uWS, ws and socket.io, in order', async () => {
    const result = await runFanOut({
      clients: [20],
      systems: ['edge', 'uws', 'ws', 'socket.io'],
      loadProcesses: 1,
      live: { eventsPerSecond: 40, seconds: 0.5 },
      burstSeconds: 0.3,
      drainTimeoutMs: 10_000,
      settleMs: 100,
    });
    expect(result.payloadBytes).toBeGreaterThan(150);
    expect(result.rows.map((r) => r.system)).toEqual(['edge', 'uws', 'ws', 'socket.io']);
    for (const row of result.rows) {
      expect(row.clients).toBe(20);
      for (const phase of [row.live, row.burst]) {
        expect(phase.events).toBeGreaterThan(0);
        expect(phase.delivered).toBe(phase.events * 20);
        expect(phase.completeness).toBe(1);
        expect(phase.outOfOrder).toBe(0);
        expect(phase.closedClients).toBe(0);
        expect(phase.latency.count).toBe(phase.delivered);
        expect(phase.messagesPerSecond).toBeGreaterThan(0);
      }
    }
    expect(result.rows[0]!.slowClientCloses).toBe(0);
    expect(fanOutSection(result, 2)).toMatch(/\| edge \| 20 \|/);
  }, 60_000);

  it('streams worker events through the lead and the edge to every browser, and the bare stream', async () => {
    const result = await runPipeline({
      browsers: 3,
      streams: [2],
      burstSeconds: 0.3,
      live: { eventsPerSecond: 40, seconds: 0.5 },
      loadProcesses: 1,
      drainTimeoutMs: 10_000,
    });
    expect(result.runs.map((r) => r.name)).toEqual(['live', 'burst x2']);
    for (const run of result.runs) {
      expect(run.events).toBeGreaterThan(0);
      expect(run.receivedMin).toBe(run.events);
      expect(run.receivedMax).toBe(run.events);
      expect(run.outOfOrder).toBe(0);
      expect(run.latency.count).toBe(run.events * 3);
    }
    // The live run's events, read from the lead beside the edge too.
    const [live, burst] = result.runs;
    expect(live!.leadWatcher?.count).toBeGreaterThan(0);
    expect(live!.leadWatcher!.count).toBeLessThanOrEqual(live!.events);
    expect(burst!.leadWatcher).toBeUndefined();
    expect(result.ceilings).toHaveLength(2);
    for (const bare of result.ceilings) expect(bare.events).toBeGreaterThan(0);
    expect(pipelineSection(result)).toMatch(/Every browser received every event/);
    expect(pipelineSection(result)).toMatch(/worker → lead → 1 gRPC watcher \(beside the edge\)/);
  }, 60_000);

  it('runs a layered plan on the real lead and workers and splits each task’s time', async () => {
    const result = await runOrchestration(
      {
        tasks: 3,
        layers: 2,
        replicas: 1,
        capacity: 2,
        modelLatencyMs: 20,
        toolCalls: 1,
        timeoutMs: 60_000,
      },
      () => {},
      true,
    );
    expect(result.projectStatus).toBe('completed');
    expect(result.tasksCompleted).toBe(3);
    // Through the merge queue: at most one test run per merge, each merge verified.
    expect(result.verifyMain).toBe(true);
    expect(result.verificationRuns).toBeGreaterThan(0);
    expect(result.verificationRuns).toBeLessThanOrEqual(3);
    expect(result.ideal.criticalPathTasks).toBe(2);
    expect(result.makespanMs).toBeGreaterThan(0);
    expect(result.modelCalls).toBe(6);
    for (const phase of Object.values(result.timeline.phases)) {
      expect(Number.isFinite(phase.meanMs)).toBe(true);
    }
    expect(result.timeline.phases.merge.maxMs).toBeGreaterThan(0);
    expect(result.timeline.phases.worktree.maxMs).toBeGreaterThan(0);
    const testRun = await measureTestRun(2);
    expect(testRun).toMatchObject({ command: 'node run-tests.mjs', runs: 2 });
    expect(testRun.wallMs).toBeGreaterThan(0);
    expect(boundWithTests(2, 40, testRun)).toBeCloseTo(2 * (40 + testRun.wallMs));
    expect(orchestrationSection(testRun, result)).toMatch(
      /Bound with tests: one task's test run[\s\S]*Makespan \/ ideal \| \/ bound with tests[\s\S]*on: \d+ test runs/,
    );
    // Each run's row has its merge's p50 and p90, though the split below is the last run's.
    const { phases } = result.timeline;
    const off = {
      ...result,
      verifyMain: false,
      timeline: {
        ...result.timeline,
        phases: { ...phases, merge: { ...phases.merge, p50Ms: 41, p90Ms: 77 } },
      },
    };
    const both = orchestrationSection(testRun, off, result).split('\n');
    expect(both.find((line) => line.includes('Verification of merges'))).toContain(
      '| Merge p50 / p90 (done → main) |',
    );
    expect(both.find((line) => line.includes('| off |'))).toContain('| 41.0 ms / 77.0 ms |');
    expect(both.find((line) => line.includes('| on: '))).toMatch(/\| [\d.,]+ ms \/ [\d.,]+ ms \|/);
  }, 90_000);

  it('runs tasks at once on one worker and reads its event-loop delay from inside', async () => {
    const result = await runWorkerConcurrency({
      tasks: [4],
      modelLatencyMs: 20,
      toolCalls: 1,
      timeoutMs: 60_000,
    });
    const [row] = result.rows;
    expect(row!.completed).toBe(4);
    expect(row!.loopDelay.samples).toBeGreaterThan(0);
    expect(row!.peakRssMb).toBeGreaterThan(0);
    // Each task fetches into the mirror and adds a worktree; the breakdown adds up.
    expect(row!.processesPerTask['git fetch']).toBeGreaterThan(0);
    expect(row!.processesPerTask['git worktree']).toBeGreaterThan(0);
    const listed = Object.values(row!.processesPerTask).reduce((a, b) => a + b, 0);
    expect(listed).toBeCloseTo(row!.spawnsPerTask, 0);
    expect(workerSection(result)).toMatch(/\| 4 \| 4\/4 \|/);
    expect(workerSection(result)).toMatch(/Processes per task at 4 at once: .*git fetch/);
  }, 60_000);

  it('times sandboxed commands against bare ones, and an install from the registry then the cache', async () => {
    const result = await runSandboxBench({ commands: 2, packages: ['is-number@7.0.0'] }, () => {});
    expect(result.command.bareMs).toBeGreaterThan(0);
    expect(result.command.sandboxedMs).toBeGreaterThan(0);
    // Installing needs the registry; without it the section says why it was not measured.
    if (result.install) {
      expect(result.install).toMatchObject({ packages: 1 });
      expect(result.install.secondMs).toBeGreaterThan(0);
    } else {
      expect(result.installSkipped).toMatch(/is not reachable from this machine/);
    }
    expect(sandboxSection(result)).toMatch(/\| `true`, one command \|/);
  }, 120_000);

  it('measures the share of a long task input read from the cache, against the same requests without a conversation breakpoint', async () => {
    const result = await runPromptCache({ turns: 10, timeoutMs: 120_000 });
    expect(result.conversation.requests).toBe(10);
    // The replay of the requests as sent reproduces what the worker was told.
    expect(result.replayed).toEqual(result.conversation);
    expect(result.conversation.readShare).toBeGreaterThanOrEqual(0.8);
    expect(result.baseline.readShare).toBeLessThan(result.conversation.readShare);
    expect(promptCacheSection(result)).toMatch(
      /\| system, tools and the conversation \(now\) \| 10 \|.*\n\| system and tools only/,
    );
  }, 180_000);
});
