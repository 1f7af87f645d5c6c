import type { FanOutResult, FanOutRow } from './fan-out/fan-out-bench.js';
import { round } from './harness/process-stats.js';
import type { MachineInfo } from './machine-info.js';
import type { OrchestrationResult } from './orchestration/orchestration-bench.js';
import { PHASES, type Phase } from './orchestration/task-timeline.js';
import { boundWithTests, type TestRunBaseline } from './orchestration/test-run-baseline.js';
import type { PipelineResult, PipelineRun } from './pipeline/pipeline-bench.js';
import type { CacheFigures, PromptCacheResult } from './prompt-cache/prompt-cache-bench.js';
import type { SandboxResult } from './sandbox/sandbox-bench.js';
import type { WorkerConcurrencyResult } from './worker-concurrency/worker-concurrency-bench.js';

// The run as Markdown tables: what `npm run bench` prints and the README carries.

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => (n >= 100 ? `${int(n)} ms` : `${n.toFixed(n >= 10 ? 1 : 2)} ms`);
const pct = (n: number) => `${Math.round(n)}%`;
const ratio = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const seconds = (msValue: number) => `${(msValue / 1000).toFixed(1)} s`;

/** The load generators' CPU together (keys load1, load2, …). */
function loadCpu(cpu: Record<string, number>): number {
  return Object.entries(cpu)
    .filter(([name]) => name.startsWith('load'))
    .reduce((sum, [, value]) => sum + value, 0);
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function headerSection(
  info: MachineInfo,
  mode: string,
  startedAt: string,
  background: number,
): string {
  return [
    `## Benchmarks (${mode} run, ${startedAt.slice(0, 10)})`,
    '',
    `Machine: ${info.cpu}, ${info.cores} cores, ${info.ramGiB} GiB RAM, ${info.kernel}; Node ${info.node}; commit ${info.commit.slice(0, 10)}${info.dirty ? ' (with uncommitted changes)' : ''}. ` +
      `Other load on the machine before the run: ${pct(background)} of its cores.`,
  ].join('\n');
}

export function fanOutSection(result: FanOutResult, cores: number): string {
  const { params } = result;
  const ceiling = (row: FanOutRow) =>
    result.rows.find((r) => r.system === 'uws' && r.clients === row.clients);
  const rows = result.rows.map((row) => {
    const base = ceiling(row);
    const delivered = Math.min(row.live.completeness, row.burst.completeness);
    const order = row.live.outOfOrder + row.burst.outOfOrder;
    return [
      row.system === 'uws' ? 'raw uWS (ceiling)' : row.system,
      int(row.clients),
      int(row.burst.messagesPerSecond),
      base ? ratio(row.burst.messagesPerSecond / base.burst.messagesPerSecond) : '–',
      pct(row.burst.cpu.server),
      row.burst.serverCpuUsPerMessage.toFixed(2),
      `${pct(row.burst.cpu.loadTotal)} (max ${pct(row.burst.cpu.loadMax)})`,
      pct(row.burst.cpu.other),
      ms(row.live.latency.p50Ms),
      ms(row.live.latency.p99Ms),
      ms(row.live.latency.maxMs),
      pct(row.live.cpu.server),
      `${row.memory.perConnectionKb.toFixed(1)} KB`,
      `${(delivered * 100).toFixed(delivered === 1 ? 0 : 2)}%${order ? `, ${order} out of order` : ''}`,
    ];
  });
  return [
    `### Fan-out: one project's events to N WebSocket clients`,
    '',
    `Events of ${result.payloadBytes} bytes (a real activity_update) from one synthetic lead, followed over gRPC by each system. ` +
      `Burst: ${params.burstSeconds} s as fast as each takes them; live: ${params.live.eventsPerSecond} events/s for ${params.live.seconds} s, latency from publish (at the lead) to receipt. ` +
      `CPU in % of one core (the machine has ${cores} cores: ${cores * 100}% is all of it); load generators: ${params.loadProcesses} processes; ` +
      '"other CPU" is what the machine spent outside the processes of the run (the kernel\'s loopback networking, other work).',
    '',
    table(
      [
        'System',
        'Clients',
        'Burst msgs/s',
        '× raw uWS',
        'Server CPU',
        'Server CPU µs / msg',
        'Load-gen CPU',
        'Other CPU',
        'Live p50',
        'Live p99',
        'Live max',
        'Live server CPU',
        'RSS / conn',
        'Delivered',
      ],
      rows,
    ),
  ].join('\n');
}

export function pipelineSection(result: PipelineResult): string {
  const { params } = result;
  const rows: string[][] = [];
  for (const run of result.runs) {
    const bare = result.ceilings.find((c) => c.name === run.name);
    const line = (path: string, r: PipelineRun, vs: string, cpu: string) => [
      run.name === 'live'
        ? `live (${params.live.eventsPerSecond} events/s)`
        : `burst, ${r.streams} stream${r.streams > 1 ? 's' : ''}`,
      path,
      run.name === 'live' ? `${int(params.live.eventsPerSecond)} (paced)` : int(r.eventsPerSecond),
      vs,
      ms(r.latency.p50Ms),
      ms(r.latency.p99Ms),
      ms(r.latency.maxMs),
      cpu,
    ];
    rows.push(
      line(
        `worker → lead → edge → ${params.browsers} browsers`,
        run,
        bare && run.name !== 'live' ? ratio(run.eventsPerSecond / bare.eventsPerSecond) : '–',
        `lead ${pct(run.cpu.lead ?? 0)}, edge ${pct(run.cpu.edge ?? 0)}, worker ${pct(run.cpu.worker ?? 0)}, browsers ${pct(loadCpu(run.cpu))}, other ${pct(run.cpu.other ?? 0)}`,
      ),
    );
    if (run.leadWatcher) {
      const r = run.leadWatcher;
      rows.push([
        rows.at(-1)![0]!,
        'worker → lead → 1 gRPC watcher (beside the edge)',
        '–',
        '–',
        ms(r.p50Ms),
        ms(r.p99Ms),
        ms(r.maxMs),
        '–',
      ]);
    }
    if (bare) {
      rows.push(
        line(
          'bare connect-node stream (ceiling)',
          bare,
          run.name === 'live' ? '–' : '1.00',
          `worker ${pct(bare.cpu.worker ?? 0)}, client ${pct(bare.cpu.client ?? 0)}, other ${pct(bare.cpu.other ?? 0)}`,
        ),
      );
    }
  }
  const lost = result.runs.filter((r) => r.receivedMin < r.events || r.outOfOrder > 0);
  return [
    '### Pipeline: worker events through the lead (persisted, seq assigned) and the edge to browsers',
    '',
    table(
      ['Run', 'Path', 'Events/s', '× bare stream', 'p50', 'p99', 'max', 'CPU (% of one core)'],
      rows,
    ),
    '',
    lost.length === 0
      ? 'Every browser received every event, in seq order.'
      : `Not every browser got every event in order in: ${lost.map((r) => r.name).join(', ')}.`,
  ].join('\n');
}

const PHASE_NAMES: Record<Phase, string> = {
  queued: 'queued (ready → assigned)',
  dispatch: 'dispatch (assigned → the worker starts its worktree)',
  worktree: 'worktree (fetch into the mirror → in progress)',
  modelAndTools: 'model + tools (in progress → testing)',
  tests: 'tests (testing → test result)',
  commitPush: 'commit + push (committing → task-branch commit)',
  merge: 'merge (done → merged into main)',
  overhead: 'overhead (assigned → completed, less model time)',
  total: 'total (ready → completed)',
};

/** The orchestration runs with verification off and on: both rows (each with its merge's
 * p50 and p90), the phases of the last. */
export function orchestrationSection(
  testRun: TestRunBaseline,
  ...runs: OrchestrationResult[]
): string {
  const result = runs.at(-1)!;
  const p = result.params;
  const modelMs = (p.toolCalls + 1) * p.modelLatencyMs;
  const withTests = Math.max(
    result.ideal.idealMs,
    boundWithTests(result.ideal.criticalPathTasks, modelMs, testRun),
  );
  const summary = table(
    [
      'Tasks',
      'Verification of merges',
      'Critical path',
      'Replicas × slots per kind',
      'Model',
      'Makespan',
      'Ideal bound',
      'Makespan / ideal',
      '/ bound with tests',
      'Completed',
      'Merge p50 / p90 (done → main)',
      'CPU',
    ],
    runs.map((r) => [
      int(p.tasks),
      r.verifyMain ? `on: ${int(r.verificationRuns)} test runs` : 'off',
      `${r.ideal.criticalPathTasks} tasks`,
      `${p.replicas} × ${p.capacity}`,
      `${p.toolCalls + 1} calls × ${int(p.modelLatencyMs)} ms`,
      seconds(r.makespanMs),
      seconds(r.ideal.idealMs),
      ratio(r.ratio),
      ratio(round(r.makespanMs / withTests, 2)),
      `${r.tasksCompleted} (${r.projectStatus})`,
      `${ms(r.timeline.phases.merge.p50Ms)} / ${ms(r.timeline.phases.merge.p90Ms)}`,
      `lead ${pct(r.cpu.lead ?? 0)}, workers ${pct(r.cpu.workers ?? 0)}, other ${pct(r.cpu.other ?? 0)}`,
    ]),
  );
  const phases = table(
    ['Per task', 'mean', 'p50', 'p90', 'max'],
    PHASES.map((phase) => {
      const s = result.timeline.phases[phase];
      return [PHASE_NAMES[phase], ms(s.meanMs), ms(s.p50Ms), ms(s.p90Ms), ms(s.maxMs)];
    }),
  );
  const [off, on] = runs;
  const onOff =
    off && on && off.makespanMs > 0
      ? ` With verification on the makespan is ${ratio(round(on.makespanMs / off.makespanMs, 2))} the run without it; ${int(on.verificationRuns)} test runs verified ${int(on.tasksCompleted)} merges.`
      : '';
  return [
    `### Orchestration: ${int(p.tasks)} tasks in ${p.layers} layers, model time ${ms(modelMs)} per task`,
    '',
    `Ideal bound = max(critical path × model time per task = ${seconds(result.ideal.criticalPathMs)}, work / all slots = ${seconds(result.ideal.capacityMs)}, work of the busiest kind / its slots = ${seconds(result.ideal.capacityByKindMs)}).${onOff}`,
    '',
    `Bound with tests: one task's test run (\`${testRun.command}\`) alone in a sandbox like the workers' takes ${ms(testRun.wallMs)} (median of ${testRun.runs}); each task on the critical path runs its tests between its model's last call and its merge, so no schedule beats max(the ideal bound, critical path × (model time + that run)) = ${seconds(withTests)}.`,
    '',
    summary,
    '',
    `Per task, verification ${result.verifyMain ? 'on' : 'off'}:`,
    '',
    phases,
    '',
    `A merge was running or waiting ${pct(result.timeline.mergeLaneBusy * 100)} of the makespan (merges into one project are serialised; with verification on, that includes waiting for the batch's test run). ` +
      `Inside the lead: event-loop delay p99 ${ms(result.lead.loopDelayP99Ms)}, max ${ms(result.lead.loopDelayMaxMs)}; ${int(result.lead.spawns)} git processes (${int(result.lead.threadSpawns)} started from the launcher's thread) held its loop ${ms(result.lead.spawnBlockedMs)} in spawn(). ` +
      `Inside the workers: p99 up to ${ms(result.workers.loopDelayP99Ms)}, max ${ms(result.workers.loopDelayMaxMs)}; ${int(result.workers.spawns)} processes (${int(result.workers.threadSpawns)} from the launcher's thread), ${ms(result.workers.spawnBlockedMs)} of the loop in spawn().`,
  ].join('\n');
}

export function workerSection(result: WorkerConcurrencyResult): string {
  const p = result.params;
  return [
    `### Worker concurrency: one worker, tasks at once, model ${int(p.modelLatencyMs)} ms per call (${p.toolCalls + 1} calls a task)`,
    '',
    table(
      [
        'Tasks at once',
        'Completed',
        'Makespan',
        'Loop delay p50',
        'p99',
        'max',
        'Processes / task',
        'Loop held by spawn() / task',
        'Launcher thread in spawn() / task',
        'RSS idle → peak',
        'Memory / task',
        'Worker CPU (with git and tests)',
      ],
      result.rows.map((r) => [
        int(r.tasks),
        `${r.completed}/${r.tasks}`,
        seconds(r.makespanMs),
        ms(r.loopDelay.p50Ms),
        ms(r.loopDelay.p99Ms),
        ms(r.loopDelay.maxMs),
        r.spawnsPerTask.toFixed(1),
        ms(r.spawnBlockedMsPerTask),
        ms(r.threadSpawnMsPerTask),
        `${r.idleRssMb} → ${r.peakRssMb} MB`,
        `${int(r.memoryPerTaskKb)} KB`,
        `${pct(r.cpu.worker)} (${pct(r.cpu.workerWithChildren)}), other ${pct(r.cpu.other)}`,
      ]),
    ),
    '',
    ...result.rows.map(
      (r) =>
        `Processes per task at ${int(r.tasks)} at once: ${Object.entries(r.processesPerTask)
          .map(([label, n]) => `${label} ${n}`)
          .join(', ')}.`,
    ),
  ].join('\n');
}

export function sandboxSection(result: SandboxResult): string {
  const { command, install } = result;
  const rows = [
    [
      '`true`, one command',
      ms(command.bareMs),
      ms(command.sandboxedMs),
      `${ratio(command.sandboxedMs / command.bareMs)}×`,
    ],
  ];
  const lines = [
    `### Sandbox: what a command's sandbox costs${command.kernelLimits ? ' (with cgroups)' : ' (rlimits and the supervisor, no cgroups)'}, what the package cache saves`,
    '',
    table(['Measure', 'Baseline', 'Sandboxed', 'Ratio'], rows),
    '',
  ];
  if (install) {
    lines.push(
      table(
        [
          'Install (`npm ci`, in the sandbox)',
          'First: empty cache, from the registry',
          'Second: from the cache',
          'Second ÷ first',
        ],
        [
          [
            `${result.params.packages.join(' ')} (${install.packages} packages)`,
            seconds(install.firstMs),
            seconds(install.secondMs),
            `${ratio(install.secondMs / install.firstMs)}×`,
          ],
        ],
      ),
    );
  } else {
    lines.push(`Install not measured: ${result.installSkipped}.`);
  }
  return lines.join('\n');
}

export function promptCacheSection(result: PromptCacheResult): string {
  const row = (name: string, f: CacheFigures) => [
    name,
    int(f.requests),
    int(f.inputTokens + f.cacheReadTokens + f.cacheWriteTokens),
    int(f.cacheReadTokens),
    int(f.cacheWriteTokens),
    int(f.inputTokens),
    `**${pct(f.readShare * 100)}**`,
    pct(f.inputCostShare * 100),
  ];
  const { conversation, replayed, baseline } = result;
  const faithful =
    replayed.cacheReadTokens === conversation.cacheReadTokens &&
    replayed.cacheWriteTokens === conversation.cacheWriteTokens &&
    replayed.inputTokens === conversation.inputTokens;
  return [
    `### Prompt cache: one task of ${result.params.turns} model calls on a worker (fake-anthropic's cache accounting; goal ≥ 80% read)`,
    '',
    table(
      [
        'Breakpoints',
        'Requests',
        'Input tokens',
        'Read from cache',
        'Written to cache',
        'Uncached',
        'Share read',
        'Input cost vs. uncached',
      ],
      [
        row('system, tools and the conversation (now)', conversation),
        row('system and tools only (before, same requests)', baseline),
      ],
    ),
    '',
    `The task ended ${result.outcome.replace(/^TASK_OUTCOME_/, '').toLowerCase()}. ` +
      `The baseline replays the same requests without their conversation breakpoints through a fresh cache; ` +
      (faithful
        ? 'replayed as sent they give exactly what the worker reported.'
        : `replayed as sent they give ${int(replayed.cacheReadTokens)} read, ${int(replayed.cacheWriteTokens)} written, ${int(replayed.inputTokens)} uncached, not what the worker reported.`),
  ].join('\n');
}
