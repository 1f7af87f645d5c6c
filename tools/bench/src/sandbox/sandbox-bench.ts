// What the sandbox costs and what its package cache saves: a command's start in bubblewrap
// (with the supervisor, rlimits and cgroups) against the same command unsandboxed, and the
// same locked install twice in one worker's sandbox, first from the registry with an empty
// cache, then from the cache the first one filled.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmRegistry, Sandbox, sandboxSettingsIn } from '@codeframe/agent';
import { median, workerLikeSandbox } from '../harness/bench-sandbox.js';

export interface SandboxParams {
  /** Runs of `true` per mode; the median is reported. */
  commands: number;
  /** What the install benchmark installs, as `npm install` arguments. */
  packages: string[];
}

export interface SandboxResult {
  params: SandboxParams;
  command: { bareMs: number; sandboxedMs: number; kernelLimits: boolean };
  install?: { packages: number; firstMs: number; secondMs: number; registry: string };
  /** Why the install was not measured. */
  installSkipped?: string;
}

export async function runSandboxBench(
  params: SandboxParams,
  progress: (line: string) => void,
): Promise<SandboxResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-sandbox-'));
  const registry = await npmRegistry();
  const sandboxed = await workerLikeSandbox(join(dir, 'bwrap'));
  const bare = await Sandbox.create(sandboxSettingsIn(join(dir, 'none'), { mode: 'none' }));
  try {
    const work = join(dir, 'work');
    await mkdir(work);
    const run = (sandbox: Sandbox, command: string, path = work) =>
      sandbox.run({ command, workspace: { path }, timeoutMs: 600_000, maxOutputBytes: 1_000_000 });
    const times = async (sandbox: Sandbox) => {
      const samples: number[] = [];
      for (let i = 0; i < params.commands; i++) {
        const started = performance.now();
        await run(sandbox, 'true');
        samples.push(performance.now() - started);
      }
      return median(samples);
    };
    progress(`sandbox: ${params.commands} commands unsandboxed and sandboxed`);
    const command = {
      bareMs: await times(bare),
      sandboxedMs: await times(sandboxed),
      kernelLimits: sandboxed.kernelLimits,
    };

    // The lockfile comes from another sandbox, with its own cache, so the measured cache
    // starts empty.
    progress(`sandbox: locking ${params.packages.join(' ')} from ${registry}`);
    const locker = await workerLikeSandbox(join(dir, 'locker'));
    const project = join(dir, 'project');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      '{"name":"bench","version":"1.0.0","private":true}\n',
    );
    const lock = await run(
      locker,
      `npm install --package-lock-only ${params.packages.join(' ')}`,
      project,
    );
    await locker.close();
    if (lock.exitCode !== 0) {
      const why =
        `${lock.stdout}\n${lock.stderr}`.trim().split('\n').at(-1) ?? `exit ${lock.exitCode}`;
      return {
        params,
        command,
        installSkipped: `the registry ${registry} is not reachable from this machine (${why})`,
      };
    }
    progress('sandbox: npm ci with an empty cache, then with the cache it filled');
    const install = async () => {
      await rm(join(project, 'node_modules'), { recursive: true, force: true });
      const started = performance.now();
      const result = await run(sandboxed, 'npm ci --no-audit --no-fund', project);
      if (result.exitCode !== 0)
        throw new Error(`npm ci failed: ${result.stderr.trim().split('\n').at(-1)}`);
      return { ms: performance.now() - started, output: result.stdout };
    };
    const first = await install();
    const second = await install();
    const packages = Number(/added (\d+) packages?/.exec(first.output)?.[1] ?? 0);
    return {
      params,
      command,
      install: { packages, firstMs: first.ms, secondMs: second.ms, registry },
    };
  } finally {
    await sandboxed.close();
    await bare.close();
    await rm(dir, { recursive: true, force: true });
  }
}
