import { basename } from 'node:path';

// What the processes a service started were, from the probe's spawn log (logSpawns): git
// by subcommand, anything else by program name, so "processes per task" says which.

/** git's own options that take the next argument as their value. */
const GIT_VALUE_OPTIONS = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace']);

/** `git fetch`, `git worktree`, `bwrap`: what a logged command line ran. */
export function processLabel(commandLine: string): string {
  const [file = '', ...args] = commandLine.split(' ').filter(Boolean);
  const program = basename(file);
  if (program !== 'git') return program;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (GIT_VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return `git ${arg}`;
  }
  return 'git';
}

/** Processes per task by label, most first. */
export function processBreakdown(
  spawnLog: readonly (readonly [number, string])[],
  tasks: number,
): Record<string, number> {
  const counts = new Map<string, number>();
  for (const [, command] of spawnLog) {
    const label = processLabel(command);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return Object.fromEntries(
    [...counts]
      .sort((a, b) => b[1] - a[1])
      .map(([label, count]) => [label, Math.round((count / Math.max(1, tasks)) * 100) / 100]),
  );
}
