// Read-only commands: projects, status, tasks, artifact.

import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { toBrowserProject, toBrowserTask, tokensText, usageTotals } from '@codeframe/events';
import { BlockerStatus } from '@codeframe/proto';
import type { CliContext } from '../cli-context.js';
import { CliError, Exit, leadError } from '../cli-error.js';
import type { DefineCommand } from '../command-table.js';
import {
  formatCost,
  gatesCell,
  jsonLine,
  printable,
  projectStatusName,
  table,
  taskStatusName,
} from '../format.js';
import { text } from '../option-values.js';

export async function projectsCommand(ctx: CliContext): Promise<number> {
  const { projects } = await ctx.lead.listProjects({}).catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  if (ctx.json) {
    ctx.out(jsonLine(projects.map(toBrowserProject)));
    return Exit.Ok;
  }
  if (projects.length === 0) {
    ctx.out('no projects yet: start one with `codeframe run <prd.md>`\n');
    return Exit.Ok;
  }
  const rows = projects.map((p) => [
    p.id,
    p.name,
    projectStatusName(p.status),
    `${p.completedTaskCount}/${p.taskCount}`,
    formatCost(p.usage?.costUsd ?? 0),
  ]);
  ctx.out(`${table([['id', 'name', 'status', 'done', 'cost'], ...rows])}\n`);
  return Exit.Ok;
}

export async function statusCommand(ctx: CliContext, projectId: string): Promise<number> {
  const snapshot = await ctx.lead.getProjectSnapshot({ projectId }).catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  const p = snapshot.project!;
  if (ctx.json) {
    ctx.out(jsonLine(toBrowserProject(p)));
    return Exit.Ok;
  }
  const open = snapshot.blockers.filter((b) => b.status === BlockerStatus.OPEN);
  ctx.out(
    [
      `${printable(p.name)} (${printable(p.id)})`,
      `status     ${projectStatusName(p.status)}`,
      `tasks      ${p.completedTaskCount}/${p.taskCount} completed, ${p.failedTaskCount} failed`,
      `tokens     ${tokensText(usageTotals(toBrowserProject(p).usage))}`,
      `cost       ${formatCost(p.usage?.costUsd ?? 0)}${p.budgetUsd ? ` of a $${p.budgetUsd.toFixed(2)} budget` : ''}`,
      `repository ${printable(p.repoUrl)}`,
      `last seq   ${snapshot.seq}`,
      ...open.map((b) => `blocker    ${printable(b.id)}: ${printable(b.question)}`),
      '',
    ].join('\n'),
  );
  return Exit.Ok;
}

export async function tasksCommand(ctx: CliContext, projectId: string): Promise<number> {
  const { tasks } = await ctx.lead.listTasks({ projectId }).catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  if (ctx.json) {
    ctx.out(jsonLine(tasks.map(toBrowserTask)));
    return Exit.Ok;
  }
  const keyOf = new Map(tasks.map((t) => [t.id, t.key]));
  const rows = tasks.map((t) => [
    t.key,
    t.id,
    ['-', 'backend', 'frontend', 'test'][t.kind] ?? '?',
    taskStatusName(t.status),
    String(t.attempt),
    t.dependsOn.map((id) => keyOf.get(id) ?? id).join(',') || '-',
    t.tests ? `${t.tests.passed}/${t.tests.passed + t.tests.failed}` : '-',
    gatesCell(t.gates),
    t.mergeSha.slice(0, 7) || '-',
  ]);
  ctx.out(
    `${table([['key', 'id', 'kind', 'status', 'attempt', 'after', 'tests', 'gates', 'merge'], ...rows])}\n`,
  );
  // Screenshots of browser checks, newest last: `codeframe artifact <id>` saves one.
  for (const t of tasks.filter((t) => t.artifacts.length > 0))
    ctx.out(
      `artifacts of ${printable(t.key)}: ${t.artifacts.map((a) => printable(a)).join(' ')}\n`,
    );
  return Exit.Ok;
}

/** Saves an artifact (a screenshot) to `output`, by default its file name in the current
 * folder. */
export async function artifactCommand(
  ctx: CliContext,
  artifactId: string,
  output: string | undefined,
): Promise<number> {
  const artifact = await ctx.lead.getArtifact({ artifactId }).catch((e) => {
    throw leadError(e, ctx.target.url);
  });
  const file = output ?? basename(artifact.artifactId);
  await writeFile(file, artifact.content).catch((e: Error) => {
    throw new CliError(`cannot write ${file}: ${e.message}`, Exit.Usage);
  });
  ctx.out(
    `${printable(artifact.artifactId)} (${artifact.mediaType}, ${artifact.content.length} bytes) saved to ${printable(file)}\n`,
  );
  return Exit.Ok;
}

export function inspectCommands(define: DefineCommand): void {
  define('projects', 'list the projects', (ctx) => projectsCommand(ctx));
  define(
    'status <project>',
    "a project's status, usage and open blockers",
    (ctx, [projectId]) => statusCommand(ctx, projectId!),
    { needs: 'a project id' },
  );
  define(
    'tasks <project>',
    "a project's tasks (and their artifacts: browser-check screenshots)",
    (ctx, [projectId]) => tasksCommand(ctx, projectId!),
    { needs: 'a project id' },
  );
  define(
    'artifact <id>',
    'save an artifact (default: its file name, here)',
    (ctx, [artifactId], o) => artifactCommand(ctx, artifactId!, text(o.output)),
    { needs: 'an artifact id (codeframe tasks lists them)' },
  ).option('-o, --output <file>', 'where to save it');
}
