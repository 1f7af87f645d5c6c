// Commands that change things: answer, cancel, pause, resume.
import type { CliContext } from '../cli-context.js';
import { Exit, leadError } from '../cli-error.js';
import { jsonLine, printable } from '../format.js';

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
