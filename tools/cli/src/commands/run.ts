import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { CliContext } from '../cli-context.js';
import { CliError, Exit, leadError } from '../cli-error.js';
import { printable } from '../format.js';
import { failWith, watchRun } from '../watch-run.js';

export interface RunOptions {
  prdPath: string;
  name?: string;
  budgetUsd?: number;
  maxConcurrency?: number;
  /** An existing repository to start from; the lead's own empty one without it. */
  repoUrl?: string;
  /** Whether each task is reviewed before it merges; absent: the lead's default. */
  review?: boolean;
}

/** The project's name: the option, else the PRD's first heading, else the file's name. */
export function projectName(prd: string, path: string, name?: string): string {
  return name ?? /^#\s+(.+)$/m.exec(prd)?.[1]?.trim() ?? basename(path).replace(/\.md$/i, '');
}

/** `codeframe run <prd.md>`: create the project, plan and start it, watch it to the end. */
export async function runCommand(ctx: CliContext, options: RunOptions): Promise<number> {
  const path = resolve(options.prdPath);
  let prd: string;
  try {
    prd = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code;
    throw new CliError(`cannot read the PRD ${options.prdPath}: ${why}`, Exit.Usage);
  }
  if (prd.trim() === '') throw new CliError(`the PRD ${options.prdPath} is empty`, Exit.Usage);
  const name = projectName(prd, path, options.name);
  const lead = ctx.lead;
  const project = await lead
    .createProject({
      name,
      prd,
      budgetUsd: options.budgetUsd ?? 0,
      maxConcurrency: options.maxConcurrency ?? 0,
      repoUrl: options.repoUrl ?? '',
      review: options.review,
    })
    .then((r) => r.project!)
    .catch((e) => {
      throw leadError(e, ctx.target.url);
    });
  if (!ctx.json) {
    const id = printable(project.id);
    ctx.out(`project ${id} "${printable(name)}" created\n`);
    if (ctx.dashboardUrl) ctx.out(`dashboard: ${printable(ctx.dashboardUrl)}/?project=${id}\n`);
    ctx.out(`repository: ${printable(project.repoUrl)}\n\n`);
  }
  // Watch from the start while the lead plans and dispatches, so planning shows too.
  const watch = new AbortController();
  const interrupt = () => watch.abort();
  ctx.signal.addEventListener('abort', interrupt, { once: true });
  const watching = watchRun({ ...ctx, signal: watch.signal }, project.id, 0n, name);
  const failure = await lead
    .startProject({ projectId: project.id }, { timeoutMs: 30 * 60_000 })
    .then(
      () => undefined,
      (e) => leadError(e, ctx.target.url),
    );
  if (failure) {
    // The project did not start (planning failed, or the lead went away): stop watching.
    watch.abort();
    await watching.catch(() => {});
    const planning = /^planning failed/.test(failure.message);
    throw planning ? new CliError(failure.message, Exit.WorkFailed) : failure;
  }
  const outcome = await watching.finally(() => ctx.signal.removeEventListener('abort', interrupt));
  failWith(outcome);
  return Exit.Ok;
}
