import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, env, type Logger, loadConfig } from '@codeframe/runtime';
import { type AllowedHost, parseAllowedHost } from './egress-proxy.js';
import { SANDBOX_MODES, type SandboxSettings } from './sandbox.js';
import type { SandboxLimits } from './sandbox-limits.js';

/** The sandbox's variables, part of every worker's settings. */
export const sandboxEnvSettings = {
  /** bwrap: commands run in bubblewrap; none: unsandboxed (warned per task). */
  sandbox: env.oneOf('CODEFRAME_SANDBOX', SANDBOX_MODES, 'bwrap'),
  /** registries: commands reach the package registries through the proxy; none: nothing. */
  sandboxNetwork: env.oneOf(
    'CODEFRAME_SANDBOX_NETWORK',
    ['registries', 'none'] as const,
    'registries',
  ),
  /** Hosts beyond the npm registry: a private registry, PyPI (pypi.org,files.pythonhosted.org). */
  sandboxAllowedHosts: env.list('CODEFRAME_SANDBOX_ALLOWED_HOSTS'),
  /** The package cache shared by the worker's tasks; default <work dir>/cache. */
  sandboxCacheDir: env.optional('CODEFRAME_SANDBOX_CACHE_DIR'),
  /** Read-only paths for toolchains installed outside /usr (e.g. /opt/go,/root/.cargo). */
  sandboxReadPaths: env.list('CODEFRAME_SANDBOX_READ_PATHS'),
  sandboxMaxProcesses: env.int('CODEFRAME_SANDBOX_MAX_PROCESSES', 1024, 16, 1_000_000),
  sandboxMemoryMb: env.int('CODEFRAME_SANDBOX_MEMORY_MB', 2048, 64),
  sandboxFileMb: env.int('CODEFRAME_SANDBOX_FILE_MB', 1024, 1),
  sandboxTmpMb: env.int('CODEFRAME_SANDBOX_TMP_MB', 512, 8),
  sandboxDiskMb: env.int('CODEFRAME_SANDBOX_DISK_MB', 4096, 16),
  sandboxMinFreeMb: env.int('CODEFRAME_SANDBOX_MIN_FREE_MB', 512, 0),
  /** How nice commands are to the worker itself: 0 (not at all) to 19. */
  sandboxNice: env.int('CODEFRAME_SANDBOX_NICE', 10, 0, 19),
};

type SandboxEnv = {
  [K in keyof typeof sandboxEnvSettings]: ReturnType<(typeof sandboxEnvSettings)[K]['read']>;
};

const MIB = 1024 * 1024;
export const DEFAULT_NPM_REGISTRY = 'https://registry.npmjs.org/';

/** The limits in bytes from their MiB settings. */
export function sandboxLimits(
  config: Pick<
    SandboxEnv,
    | 'sandboxMaxProcesses'
    | 'sandboxMemoryMb'
    | 'sandboxFileMb'
    | 'sandboxTmpMb'
    | 'sandboxDiskMb'
    | 'sandboxMinFreeMb'
    | 'sandboxNice'
  >,
): SandboxLimits {
  return {
    maxProcesses: config.sandboxMaxProcesses,
    maxMemoryBytes: config.sandboxMemoryMb * MIB,
    maxFileBytes: config.sandboxFileMb * MIB,
    tmpBytes: config.sandboxTmpMb * MIB,
    maxDiskBytes: config.sandboxDiskMb * MIB,
    minFreeBytes: config.sandboxMinFreeMb * MIB,
    nice: config.sandboxNice,
  };
}

/** The defaults, as a worker without any CODEFRAME_SANDBOX_* variable gets them. */
export const DEFAULT_SANDBOX_LIMITS = sandboxLimits(loadConfig(sandboxEnvSettings, {}));

/** The registry the worker's own npm uses: npm_config_registry, else `npm config get`. */
export function npmRegistry(): Promise<string> {
  const given = process.env.npm_config_registry;
  if (given) return Promise.resolve(given);
  return new Promise((resolve) => {
    execFile('npm', ['config', 'get', 'registry'], { timeout: 15_000 }, (err, stdout) => {
      const url = String(stdout).trim();
      resolve(!err && /^https?:\/\//.test(url) ? url : DEFAULT_NPM_REGISTRY);
    });
  });
}

/** The hosts commands may reach: the registry's, then CODEFRAME_SANDBOX_ALLOWED_HOSTS. */
export function allowedHosts(registry: string, extra: readonly string[]): AllowedHost[] {
  const hosts = [parseAllowedHost(registry)];
  for (const entry of extra) {
    try {
      hosts.push(parseAllowedHost(entry));
    } catch (err) {
      throw new ConfigError(
        'CODEFRAME_SANDBOX_ALLOWED_HOSTS',
        `CODEFRAME_SANDBOX_ALLOWED_HOSTS: ${(err as Error).message}`,
      );
    }
  }
  return hosts;
}

/** The sandbox of a worker whose package cache defaults to `<workDir>/cache`, with its own
 * files in `stateDir`. */
export async function sandboxSettings(
  config: SandboxEnv,
  dirs: { workDir: string; stateDir: string },
  logger?: Logger,
): Promise<SandboxSettings> {
  const registry = await npmRegistry();
  return {
    mode: config.sandbox,
    cacheDir: config.sandboxCacheDir ?? join(dirs.workDir, 'cache'),
    stateDir: dirs.stateDir,
    registry,
    allowedHosts:
      config.sandboxNetwork === 'none' ? [] : allowedHosts(registry, config.sandboxAllowedHosts),
    readPaths: config.sandboxReadPaths,
    limits: sandboxLimits(config),
    logger,
  };
}

/** A sandbox whose files all live under `dir`, with the default limits and no network:
 * what tests and benchmarks start from. */
export function sandboxSettingsIn(
  dir: string,
  overrides: Partial<SandboxSettings> = {},
): SandboxSettings {
  return {
    mode: 'bwrap',
    cacheDir: join(dir, 'cache'),
    stateDir: join(dir, 'sandbox'),
    registry: DEFAULT_NPM_REGISTRY,
    allowedHosts: [],
    readPaths: [],
    limits: DEFAULT_SANDBOX_LIMITS,
    ...overrides,
  };
}
