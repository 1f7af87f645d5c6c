// Commands that change things: answer, cancel, pause, resume, budget.

import { ProjectStatus } from '@codeframe/proto';
import type { CliContext } from '../cli-context.js';
import { Exit, leadError } from '../cli-error.js';
import { formatCost, jsonLine, printable, projectStatusName } from '../format.js';

async function call<T>(ctx: CliContext, request: Promise<T>, done: string): Promise<number> {
  await request.catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  ctx.out(ctx.json ? jsonLine({ ok: true, message: done }) : `${printable(done)}\n`);
  return Exit.Ok;
}

export const answerCommand = (ctx: CliContext, blockerId: string, answer: string) =>
  call(ctx, ctx.lead.answerBlocker({ blockerId, answer }), `blocker ${blockerId} answered`);

export const cancelCommand = (ctx: CliContext, taskId: string) =>
  call(ctx, ctx.lead.cancelTask({ taskId }), `task ${taskId} cancelled`);

export const pauseCommand = (ctx: CliContext, projectId: string) =>
  call(
    ctx,
    ctx.lead.pauseProject({ projectId }),
    `project ${projectId} paused: running tasks finish, nothing new starts`,
  );

export const resumeCommand = (ctx: CliContext, projectId: string) =>
  call(ctx, ctx.lead.resumeProject({ projectId }), `project ${projectId} resumed`);

/** Sets a project's budget; a project waiting on its spent budget goes on when it leaves room. */
export async function budgetCommand(ctx: CliContext, projectId: string, budgetUsd: number) {
  const { project } = await ctx.lead.setProjectBudget({ projectId, budgetUsd }).catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  const spent = project?.usage?.costUsd ?? 0;
  const budget = budgetUsd > 0 ? formatCost(budgetUsd) : 'none';
  const status = project ? projectStatusName(project.status) : 'unknown';
  const waiting = project?.status === ProjectStatus.PAUSED && budgetUsd > 0 && spent >= budgetUsd;
  const done = `project ${projectId} budget ${budget} (${formatCost(spent)} spent): ${status}${
    waiting ? '; still spent: raise it further to continue' : ''
  }`;
  ctx.out(ctx.json ? jsonLine({ ok: true, message: done }) : `${printable(done)}\n`);
  return Exit.Ok;
}
