import {
  DEFAULT_SANDBOX_LIMITS,
  npmRegistry,
  parseAllowedHost,
  Sandbox,
  sandboxSettingsIn,
} from '@codeframe/agent';

// The sandbox the benchmarks measure commands in: a worker's (bubblewrap, cgroups where the
// machine has them, the filtering proxy to the npm registry, the default limits), its files
// under `dir`.

/** A sandbox like a worker's, reaching the npm registry through the proxy. */
export async function workerLikeSandbox(dir: string): Promise<Sandbox> {
  const registry = await npmRegistry();
  return Sandbox.create(
    sandboxSettingsIn(dir, {
      allowedHosts: [parseAllowedHost(registry)],
      registry,
      limits: DEFAULT_SANDBOX_LIMITS,
    }),
  );
}

/** The middle value (the upper one of an even count); 0 for none. */
export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
