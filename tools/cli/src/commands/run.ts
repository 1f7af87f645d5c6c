import { readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { CliContext } from '../cli-context.js';
import { CliError, Exit, leadError } from '../cli-error.js';
import type { DefineCommand } from '../command-table.js';
import { printable } from '../format.js';
import { onOff, positive, text } from '../option-values.js';
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

export function runCommands(define: DefineCommand): void {
  define(
    'run <prd.md>',
    'create a project from the PRD, plan it, build it, watch it to the end',
    (ctx, [prdPath], o) => {
      const budget = text(o.budget);
      const concurrency = text(o.concurrency);
      const review = text(o.review);
      return runCommand(ctx, {
        prdPath: prdPath!,
        ...(text(o.name) ? { name: text(o.name) } : {}),
        ...(text(o.repo) ? { repoUrl: text(o.repo) } : {}),
        ...(budget !== undefined ? { budgetUsd: positive('--budget', budget) } : {}),
        ...(concurrency !== undefined
          ? { maxConcurrency: Math.floor(positive('--concurrency', concurrency)) }
          : {}),
        ...(review !== undefined ? { review: onOff('--review', review) } : {}),
      });
    },
    { needs: 'the path of a PRD file' },
  )
    .option('--name <name>', "the project's name (default: the PRD's first heading)")
    .option('--budget <usd>', "stop the project's tasks once this much is spent")
    .option('--concurrency <n>', "tasks running at once (default: the lead's)")
    .option(
      '--repo <url>',
      'start from this existing repository (the lead maps it for the planner and the tasks) instead of an empty one',
    )
    .option(
      '--review <on|off>',
      "review each task's diff before it merges (default: the lead's, CODEFRAME_REVIEW)",
    )
    .option(
      '--dashboard <url>',
      'print a link to the dashboard (default: $CODEFRAME_DASHBOARD_URL)',
    );
}
