import { ProjectView, toBrowserEvent, toBrowserTask } from '@codeframe/events';
import { followEvents } from '@codeframe/rpc';
import type { CliContext } from './cli-context.js';
import { CliError, Exit, leadError } from './cli-error.js';
import { jsonLine } from './format.js';
import { runSummary, runSummaryJson } from './run-summary.js';
import { JsonView, PlainView, type RunView, TerminalView } from './run-views.js';

export interface WatchOutcome {
  view: ProjectView;
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
  const view = new ProjectView();
  if (afterSeq > 0n) {
    const snapshot = await ctx.lead.getProjectSnapshot({ projectId }).catch((e) => {
      throw leadError(e, ctx.target.url);
    });
    view.seed(snapshot.tasks.map(toBrowserTask));
  }
  const shown: RunView = ctx.json
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
        shown.notice(`lost the lead's event stream (${error.rawMessage}); resuming`),
    })) {
      const frame = toBrowserEvent(event);
      view.apply(frame);
      shown.event(frame, view);
      if (view.finished || (event.seq >= tail && budgetStopped(view))) break;
    }
  } catch (error) {
    throw leadError(error, ctx.target.url);
  } finally {
    ctx.signal.removeEventListener('abort', stop);
    shown.close(view);
  }
  const wall = Date.now() - started;
  if (view.tasks.size === 0) return { view, ...verdict(view, ctx.signal.aborted, projectId) };
  if (ctx.json) ctx.out(jsonLine(runSummaryJson(view, wall)));
  else ctx.out(`\n${runSummary(view, wall)}\n`);
  return { view, ...verdict(view, ctx.signal.aborted, projectId) };
}

function budgetStopped(view: ProjectView): boolean {
  return (
    view.status === 'PROJECT_STATUS_PAUSED' &&
    /budget/.test(view.statusReason) &&
    view.progress.inProgress === 0
  );
}

function verdict(
  view: ProjectView,
  interrupted: boolean,
  projectId: string,
): { exitCode: number; failure?: string } {
  const p = view.progress;
  if (view.status === 'PROJECT_STATUS_COMPLETED' && p.completed === p.total) {
    return { exitCode: Exit.Ok };
  }
  if (interrupted) {
    return {
      exitCode: Exit.WorkFailed,
      // Only the watch stopped: the lead keeps the project (and goes on with it while it runs).
      failure: `stopped watching; the lead keeps the project (follow it with \`codeframe watch ${projectId}\` while the lead runs)`,
    };
  }
  if (budgetStopped(view)) {
    return {
      exitCode: Exit.WorkFailed,
      failure: `the project's ${view.statusReason}; raise it with: codeframe budget ${projectId} <usd>`,
    };
  }
  const failed = [...view.tasks.values()].filter(
    ({ task }) => task.status === 'TASK_STATUS_FAILED' || task.status === 'TASK_STATUS_CANCELLED',
  );
  const which = failed
    .map(({ task }) => `${view.taskKey(task.id ?? '')} (${task.error || 'failed'})`)
    .join('; ');
  return {
    exitCode: Exit.WorkFailed,
    failure: `the project ${view.statusReason ? `failed: ${view.statusReason}` : 'failed'}${
      which ? `; failed tasks: ${which}` : ''
    }`,
  };
}

export function failWith(outcome: WatchOutcome): never | undefined {
  if (outcome.exitCode !== Exit.Ok)
    throw new CliError(outcome.failure ?? 'failed', outcome.exitCode);
  return undefined;
}
