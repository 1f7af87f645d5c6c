// Commands that change things: answer, cancel, retry, pause, resume, budget.

import { ProjectStatus } from '@codeframe/proto';
import type { CliContext } from '../cli-context.js';
import { Exit, leadError } from '../cli-error.js';
import type { DefineCommand } from '../command-table.js';
import { formatCost, jsonLine, printable, projectStatusName, taskStatusName } from '../format.js';
import { amount } from '../option-values.js';

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

/** Runs a failed or cancelled task again; the lead refuses any other. */
export async function retryCommand(ctx: CliContext, taskId: string): Promise<number> {
  const { task } = await ctx.lead.retryTask({ taskId }).catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  const name = task?.key ? `${task.key} (${taskId})` : taskId;
  const status = task ? taskStatusName(task.status) : 'unknown';
  const done = `task ${name} retried: ${status}; follow it with: codeframe watch ${task?.projectId ?? '<project>'}`;
  ctx.out(ctx.json ? jsonLine({ ok: true, message: done }) : `${printable(done)}\n`);
  return Exit.Ok;
}

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

export function controlCommands(define: DefineCommand): void {
  define(
    'answer <blocker> <text...>',
    'answer a blocker; its task resumes',
    (ctx, [blockerId, ...words]) => answerCommand(ctx, blockerId!, words.join(' ')),
    { needs: 'a blocker id and the answer' },
  );
  define('cancel <task>', 'cancel a task', (ctx, [taskId]) => cancelCommand(ctx, taskId!), {
    needs: 'a task id',
  });
  define(
    'retry <task>',
    'run a failed or cancelled task again',
    (ctx, [taskId]) => retryCommand(ctx, taskId!),
    { needs: 'a task id' },
  );
  define(
    'pause <project>',
    'start nothing new; running tasks finish',
    (ctx, [projectId]) => pauseCommand(ctx, projectId!),
    { needs: 'a project id' },
  );
  define(
    'resume <project>',
    'start dispatching again',
    (ctx, [projectId]) => resumeCommand(ctx, projectId!),
    { needs: 'a project id' },
  );
  define(
    'budget <project> <usd>',
    "set the project's budget (0: none); a project waiting on its spent budget goes on",
    (ctx, [projectId, usd]) => budgetCommand(ctx, projectId!, amount('budget', usd!)),
    { needs: 'a project id and a budget in USD' },
  );
}
