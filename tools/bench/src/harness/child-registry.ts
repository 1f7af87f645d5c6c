import type { ChildProcess } from 'node:child_process';

// Every process a run starts is registered here, so that an error, Ctrl-C or SIGTERM in
// the bench never leaves a server or a load generator behind.

const children = new Set<ChildProcess>();

export function trackChild<C extends ChildProcess>(child: C): C {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** Asks every child still running to stop, then kills those that did not within `graceMs`. */
export async function stopAllChildren(graceMs = 3_000): Promise<void> {
  const running = [...children].filter(alive);
  for (const child of running) child.kill('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (running.some(alive) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  for (const child of running) if (alive(child)) child.kill('SIGKILL');
}

let installed = false;

/** Stops every child on SIGINT, SIGTERM and exit, so nothing outlives the bench. */
export function installChildCleanup(): void {
  if (installed) return;
  installed = true;
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\nbench: ${signal}: stopping every process it started\n`);
    void stopAllChildren(2_000).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const child of children) if (alive(child)) child.kill('SIGKILL');
  });
}
