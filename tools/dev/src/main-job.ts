// The main job of `npm start`: build an example PRD through the codeframe CLI, then check
// out what was built so its tests can be run by hand.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Project } from '@codeframe/proto';
import { createLeadClient, type LeadClient } from '@codeframe/rpc';
import { runGit } from '@codeframe/runtime';

export const DEFAULT_EXAMPLE = 'todo-api';

/** The names of the examples (directories of examples/ with a PRD.md). */
export function exampleNames(root: string): string[] {
  const dir = join(root, 'examples');
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(dir, e.name, 'PRD.md')))
    .map((e) => e.name);
}

/** The PRD to build: `--prd <file>`, else `--example <name>`, else the default example. */
export function choosePrd(root: string, args: { prd?: string; example?: string }): string {
  if (args.prd) return resolve(args.prd);
  const name = args.example ?? DEFAULT_EXAMPLE;
  const known = exampleNames(root);
  if (!known.includes(name)) {
    throw new Error(`there is no example "${name}" (examples: ${known.join(', ')})`);
  }
  return join(root, 'examples', name, 'PRD.md');
}

export interface MainJobOptions {
  root: string;
  prd: string;
  leadUrl: string;
  edgeUrl: string;
  signal: AbortSignal;
  /** The existing repository the run starts from (an example with a seed/). */
  repoUrl?: string;
}

/** Runs `codeframe run <prd>` with the terminal as its output; resolves to its exit status. */
export async function runPrd(options: MainJobOptions): Promise<number> {
  const cli = spawn(
    process.execPath,
    [
      join(options.root, 'tools/cli/dist/main.js'),
      'run',
      options.prd,
      '--lead',
      options.leadUrl,
      '--dashboard',
      options.edgeUrl,
      ...(options.repoUrl ? ['--repo', options.repoUrl] : []),
    ],
    { cwd: options.root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const stop = () => cli.kill('SIGINT');
  options.signal.addEventListener('abort', stop, { once: true });
  const [code, signal] = (await once(cli, 'exit')) as [number | null, NodeJS.Signals | null];
  options.signal.removeEventListener('abort', stop);
  return code ?? (signal ? 130 : 1);
}

export interface BuiltProject {
  id: string;
  name: string;
  dashboard: string;
  /** A clone of the project's main branch. */
  checkout: string;
}

/** The project the lead made last (the run's own, once it created one). */
export async function latestProject(
  lead: LeadClient,
  options: { timeoutMs?: number } = {},
): Promise<Project | undefined> {
  const { projects } = await lead.listProjects({}, options);
  return projects
    .filter((p) => p.createdAt)
    .sort((a, b) => Number(b.createdAt!.seconds - a.createdAt!.seconds))[0];
}

/** Finds the project the run just made and clones its main branch next to the lead's data. */
export async function checkOutLatest(
  leadUrl: string,
  edgeUrl: string,
  dataDir: string,
): Promise<BuiltProject | undefined> {
  const latest = await latestProject(createLeadClient({ baseUrl: leadUrl }));
  if (!latest) return undefined;
  const slug = latest.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const outputDir = join(resolve(dataDir), 'output');
  mkdirSync(outputDir, { recursive: true });
  const checkout = join(outputDir, `${slug || 'project'}-${latest.id.slice(0, 8)}`);
  if (!existsSync(checkout)) {
    await runGit(['clone', '--quiet', '--branch', 'main', latest.repoUrl, checkout], {
      cwd: outputDir,
    });
  }
  return {
    id: latest.id,
    name: latest.name,
    dashboard: `${edgeUrl}/?project=${latest.id}`,
    checkout,
  };
}
