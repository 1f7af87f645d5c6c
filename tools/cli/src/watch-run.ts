import { ProjectStatus, TaskStatus } from '@codeframe/proto';
import { followEvents } from '@codeframe/rpc';
import type { CliContext } from './cli-context.js';
import { CliError, Exit, leadError } from './cli-error.js';
import { jsonLine } from './format.js';
import { RunState } from './run-state.js';
import { runSummary, runSummaryJson } from './run-summary.js';
import { JsonView, PlainView, type RunView, TerminalView } from './run-views.js';

export interface WatchOutcome {
  state: RunState;
  /** 0 when every task completed; otherwise why not, as a sentence. */
  exitCode: number;
  failure?: string;
}

/**
 * Shows a project's events live from `afterSeq` until the project completes or fails (or
 * its budget stops it), then prints the summary. Ctrl-C stops watching, not the project.
 */
export async function watchRun(
  ctx: CliContext,
  projectId: string,
  afterSeq: bigint,
  title: string,
): Promise<WatchOutcome> {
  const started = Date.now();
  const state = new RunState();
  if (afterSeq > 0n) {
    const snapshot = await ctx.lead.getProjectSnapshot({ projectId }).catch((e) => {
      throw leadError(e, ctx.target.url);
    });
    state.seed(snapshot.tasks);
  }
  const view: RunView = ctx.json
    ? new JsonView(ctx.out)
    : ctx.tty
      ? new TerminalView(ctx.out, title, ctx.columns)
      : new PlainView(ctx.out);
  // A budget that stopped the project before the last event (since raised) ends no watch.
  const { project } = await ctx.lead.getProject({ projectId }).catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  const tail = project?.lastSeq ?? 0n;
  const stopped = new AbortController();
  const stop = () => stopped.abort();
  ctx.signal.addEventListener('abort', stop, { once: true });
  try {
    for await (const event of followEvents(ctx.lead, projectId, afterSeq, {
      signal: stopped.signal,
      // A lead away this long is reported as unreachable rather than waited for.
      giveUpAfterMs: 120_000,
      onRetry: (error) =>
        view.notice(`lost the lead's event stream (${error.rawMessage}); resuming`),
    })) {
      state.apply(event);
      view.event(event, state);
      if (state.ended || (event.seq >= tail && budgetStopped(state))) break;
    }
  } catch (error) {
    throw leadError(error, ctx.target.url);
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    view.close(state);
  }
  const wall = Date.now() - started;
  if (state.tasks.size === 0) return { state, ...verdict(state, ctx.signal.aborted, projectId) };
  if (ctx.json) ctx.out(jsonLine(runSummaryJson(state, wall)));
  else ctx.out(`\n${runSummary(state, wall)}\n`);
  return { state, ...verdict(state, ctx.signal.aborted, projectId) };
}

function budgetStopped(state: RunState): boolean {
  return (
    state.projectStatus === ProjectStatus.PAUSED &&
    /budget/.test(state.statusReason) &&
    state.totals.running === 0
  );
}

function verdict(
  state: RunState,
  interrupted: boolean,
  projectId: string,
): { exitCode: number; failure?: string } {
  const t = state.totals;
  if (state.projectStatus === ProjectStatus.COMPLETED && t.completed === t.tasks) {
    return { exitCode: Exit.Ok };
  }
  if (interrupted) {
    return {
      exitCode: Exit.WorkFailed,
      failure: 'stopped watching; the project goes on (follow it again with `codeframe watch`)',
    };
  }
  if (budgetStopped(state)) {
    return {
      exitCode: Exit.WorkFailed,
      failure: `the project's ${state.statusReason}; raise it with: codeframe budget ${projectId} <usd>`,
    };
  }
  const failed = [...state.tasks.values()].filter(
    (task) => task.status === TaskStatus.FAILED || task.status === TaskStatus.CANCELLED,
  );
  const which = failed.map((task) => `${task.key} (${task.error || 'failed'})`).join('; ');
  return {
    exitCode: Exit.WorkFailed,
    failure: `the project ${state.statusReason ? `failed: ${state.statusReason}` : 'failed'}${
      which ? `; failed tasks: ${which}` : ''
    }`,
  };
}

export function failWith(outcome: WatchOutcome): never | undefined {
  if (outcome.exitCode !== Exit.Ok)
    throw new CliError(outcome.failure ?? 'failed', outcome.exitCode);
  return undefined;
}
