import type { CliContext } from '../cli-context.js';
import { Exit, leadError } from '../cli-error.js';
import type { DefineCommand } from '../command-table.js';
import { seq, text } from '../option-values.js';
import { failWith, watchRun } from '../watch-run.js';

/** `codeframe watch <project> [--from SEQ]`: follow a project live until it ends. */
export async function watchCommand(
  ctx: CliContext,
  projectId: string,
  fromSeq: bigint,
): Promise<number> {
  const { project } = await ctx.lead.getProject({ projectId }).catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  failWith(await watchRun(ctx, projectId, fromSeq, project?.name || projectId));
  return Exit.Ok;
}

export function watchCommands(define: DefineCommand): void {
  define(
    'watch <project>',
    'follow a project live until it ends',
    (ctx, [projectId], o) => watchCommand(ctx, projectId!, seq('--from', text(o.from) ?? '0')),
    { needs: 'a project id' },
  ).option('--from <seq>', 'resume after this seq (default: 0, the whole log)');
}
