import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inSpan, type Logger } from '@codeframe/runtime';
import { Cgroups, type CommandCgroup } from './cgroup-limits.js';
import { type AllowedHost, EgressProxy } from './egress-proxy.js';
import { type CommandResult, type OutputStream, runProcess } from './process-run.js';
import { type InitConfig, type InitReport, SANDBOX_INIT_SOURCE } from './sandbox-init.js';
import { limitHit, limitSentence, type SandboxLimits } from './sandbox-limits.js';
import {
  commandMounts,
  nodePrefix,
  SANDBOX_CACHE,
  SANDBOX_INIT,
  SANDBOX_PROXY_SOCKET,
  SANDBOX_SHIMS,
  type SandboxBind,
  type SandboxWorkspace,
  systemMounts,
} from './sandbox-mounts.js';

// Every command the model runs goes through here. With bubblewrap it runs in its own
// namespaces with no capabilities, sees only what sandbox-mounts lists, reaches the network
// only through the worker's filtering proxy (the package registries), and runs under limits
// on processes, memory, file size and disk that stop it with a sentence naming the limit.
// It and everything it starts die together when it exits, times out or is cancelled.

/** How commands run: in bubblewrap, or unsandboxed (CODEFRAME_SANDBOX). */
export const SANDBOX_MODES = ['bwrap', 'none'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];
export type { CommandResult, OutputStream, SandboxBind, SandboxWorkspace };

export interface SandboxSettings {
  mode: SandboxMode;
  /** The package cache the worker's tasks share (npm, pnpm, yarn, pip, go), bound at /cache. */
  cacheDir: string;
  /** The worker's own sandbox files: the supervisor, passwd and group, the proxy socket. */
  stateDir: string;
  /** The only hosts a command may reach (through the proxy); none: no network at all. */
  allowedHosts: readonly AllowedHost[];
  /** The npm registry commands use (npm_config_registry). */
  registry: string;
  /** Read-only paths beyond the system folders (toolchains installed elsewhere). */
  readPaths: readonly string[];
  limits: SandboxLimits;
  logger?: Logger;
}

export interface CommandOptions {
  /** Run with /bin/sh -c. */
  command: string;
  /** The task's checkout: the working directory and the one place the command may write. */
  workspace: SandboxWorkspace;
  timeoutMs: number;
  /** Cap on stdout and stderr together; what comes after is drained and dropped. */
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** Added to the clean environment the command gets. */
  env?: Record<string, string>;
  /** Output as it arrives, within the same cap. */
  onOutput?: (stream: OutputStream, chunk: string) => void;
  /** The worker's own files bound in (bwrap only), read-only unless `writable`. */
  binds?: readonly SandboxBind[];
  /** false: no way out at all, not even to the registries (no proxy in the sandbox). */
  network?: boolean;
}

/** The sandbox cannot run here; the message says what to install or set. */
export class SandboxUnavailable extends Error {
  override name = 'SandboxUnavailable';
}

/** The port the command's HTTP(S)_PROXY points at, inside the sandbox's own loopback. */
const PROXY_PORT = 3128;
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Certificate settings pass through (paths only), for registries behind a private CA. */
const CA_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'PIP_CERT'];

/**
 * `pnpm` and `yarn` for sandboxes that have neither: each runs the version package.json's
 * `packageManager` names (else the latest) from the npm registry through npx, so it is
 * fetched through the proxy and kept in the package cache like any other package.
 */
async function writePackageManagerShims(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const version = (name: string) =>
    `v=$(node -e 'try{const m=/^${name}@([^+]+)/.exec(require(process.cwd()+"/package.json").packageManager||"");console.log(m?m[1]:"")}catch{}' 2>/dev/null)`;
  const pnpm = `#!/bin/sh\n${version('pnpm')}\nexec npx --yes "pnpm@\${v:-latest}" "$@"\n`;
  const yarn = `#!/bin/sh\n${version('yarn')}\ncase "$v" in\n  ''|1.*) exec npx --yes "yarn@\${v:-1}" "$@" ;;\n  *) exec npx --yes "@yarnpkg/cli-dist@$v" "$@" ;;\nesac\n`;
  await writeFile(join(dir, 'pnpm'), pnpm, { mode: 0o755 });
  await writeFile(join(dir, 'yarn'), yarn, { mode: 0o755 });
}

/** One worker's sandbox: its proxy, its cgroups, and the mounts every command gets. */
export class Sandbox {
  private constructor(
    readonly settings: SandboxSettings,
    private readonly parts: {
      system: string[];
      proxy?: EgressProxy;
      cgroups?: Cgroups;
      initScript: string;
      passwdFile: string;
      groupFile: string;
      shimDir?: string;
      path: string;
    },
  ) {}

  get mode(): SandboxMode {
    return this.settings.mode;
  }

  /** Whether commands get hard caps from cgroups (else the supervisor and rlimits). */
  get kernelLimits(): boolean {
    return this.parts.cgroups !== undefined;
  }

  /** The hosts commands may reach, as `host:port`; `*` when unsandboxed (any host). */
  get network(): string[] {
    if (this.mode === 'none') return ['*'];
    return this.settings.allowedHosts.map((h) => `${h.host}:${h.port}`);
  }

  /** Destinations the proxy refused, newest last. */
  get refused(): readonly string[] {
    return this.parts.proxy?.refused ?? [];
  }

  /**
   * Prepares the sandbox and proves it works by running `true` in it; a machine where it
   * cannot run gets a SandboxUnavailable saying what to install or set.
   */
  static async create(settings: SandboxSettings): Promise<Sandbox> {
    const { logger } = settings;
    await mkdir(settings.cacheDir, { recursive: true });
    await mkdir(settings.stateDir, { recursive: true });
    const cacheDir = await realpath(settings.cacheDir);
    const stateDir = await realpath(settings.stateDir);
    const resolved = { ...settings, cacheDir, stateDir };
    const prefix = nodePrefix();
    const extraBins = [...(prefix ? [prefix] : []), ...settings.readPaths].map((p) => `${p}/bin`);
    // Last: package-manager shims for pnpm and yarn, used only where neither is installed.
    const path = [...extraBins, SYSTEM_PATH, SANDBOX_SHIMS].join(':');
    const initScript = join(stateDir, 'init.cjs');
    const passwdFile = join(stateDir, 'passwd');
    const shimDir = join(stateDir, 'bin');
    const groupFile = join(stateDir, 'group');
    if (settings.mode === 'none') {
      return new Sandbox(resolved, { system: [], initScript, passwdFile, groupFile, path });
    }
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    await writeFile(initScript, SANDBOX_INIT_SOURCE);
    await writePackageManagerShims(shimDir);
    await writeFile(
      passwdFile,
      `root:x:0:0:root:/tmp:/bin/sh\n${uid === 0 ? '' : `codeframe:x:${uid}:${gid}:CodeFRAME sandbox:/tmp:/bin/sh\n`}nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    );
    await writeFile(
      groupFile,
      `root:x:0:\n${gid === 0 ? '' : `codeframe:x:${gid}:\n`}nogroup:x:65534:\n`,
    );
    const system = await systemMounts([...(prefix ? [prefix] : []), ...settings.readPaths]);
    const { cgroups, reason } = await Cgroups.detect({ nice: settings.limits.nice });
    if (!cgroups)
      logger?.warn(
        { reason },
        uid === 0
          ? 'no cgroups for sandboxed commands, and the worker runs as root (exempt from RLIMIT_NPROC): only the sandbox supervisor stops a fork bomb, after it may have filled the process table; give the worker a writable cgroup or run it as an unprivileged user'
          : 'no cgroups for sandboxed commands: their process and memory limits are kept by the sandbox supervisor and rlimits, without a hard cap from the kernel',
      );
    let proxy: EgressProxy | undefined;
    if (settings.allowedHosts.length > 0) {
      // Unix socket paths are short (108 bytes): the socket lives in the system's tmpdir.
      const socketPath = join(tmpdir(), `codeframe-egress-${process.pid}-${Date.now() % 1e6}.sock`);
      proxy = await EgressProxy.start({ socketPath, allowed: settings.allowedHosts, logger });
    }
    const sandbox = new Sandbox(resolved, {
      system,
      proxy,
      cgroups: cgroups ?? undefined,
      initScript,
      passwdFile,
      groupFile,
      shimDir,
      path,
    });
    const probe = await sandbox
      .run({
        command: 'true',
        workspace: { path: stateDir },
        timeoutMs: 20_000,
        maxOutputBytes: 8_192,
      })
      .catch((err: Error) => ({ exitCode: -1, stderr: err.message, stdout: '' }));
    if (probe.exitCode !== 0) {
      await sandbox.close();
      throw new SandboxUnavailable(
        `bubblewrap cannot create a sandbox here (${(probe.stderr || probe.stdout).trim().split('\n').at(-1) || `exit ${probe.exitCode}`}): install bubblewrap and util-linux (apt-get install bubblewrap util-linux), allow unprivileged user namespaces (on Ubuntu 24.04: an AppArmor profile for bwrap, or sysctl kernel.apparmor_restrict_unprivileged_userns=0), or set CODEFRAME_SANDBOX=none to run commands unsandboxed`,
      );
    }
    return sandbox;
  }

  /** Runs `command`; resolves when it ended, timed out, hit a limit or was cancelled, and
   * rejects only when the sandbox itself cannot start. Each command is a span. */
  run(options: CommandOptions): Promise<CommandResult> {
    const attributes = { 'codeframe.sandbox.mode': this.mode };
    return inSpan('sandbox command', { attributes }, async (span) => {
      const result = await this.#run(options);
      span.setAttributes({
        'process.exit.code': result.exitCode ?? -1,
        'codeframe.command.timed_out': result.timedOut,
        'codeframe.command.cancelled': result.cancelled,
      });
      return result;
    });
  }

  async #run(options: CommandOptions): Promise<CommandResult> {
    const cwd = await realpath(options.workspace.path).catch(() => {
      throw new Error(
        `cannot run the command: its worktree ${options.workspace.path} does not exist`,
      );
    });
    const workspace = { ...options.workspace, path: cwd };
    const network = options.network !== false;
    const env = this.#env(cwd, options.env, network);
    const base = {
      cwd,
      env,
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes,
      signal: options.signal,
      onOutput: options.onOutput,
    };
    if (this.mode === 'none') {
      return runProcess({ ...base, argv: [...this.#nice(), '/bin/sh', '-c', options.command] });
    }
    const { limits } = this.settings;
    const cgroup: CommandCgroup | undefined = await this.parts.cgroups?.acquire(
      limits.maxProcesses,
      // A little above the supervisor's own limit, so it usually names the limit first.
      limits.maxMemoryBytes + 64 * 1024 * 1024,
    );
    let report: InitReport | undefined;
    try {
      const result = await runProcess({
        ...base,
        env: { PATH: SYSTEM_PATH },
        argv: this.#argv(options, workspace, cgroup?.procsFiles ?? [], env, network),
        onStatusLine: (line) => {
          try {
            const parsed = JSON.parse(line) as InitReport;
            if (!report || !('limit' in report)) report = parsed;
          } catch {
            // not the supervisor's
          }
        },
      });
      const hit = limitHit(report, (await cgroup?.hit()) ?? null, result);
      if (report && 'exit' in report && report.exit.signal) result.signal = report.exit.signal;
      if (hit) result.limit = `the command was stopped: ${limitSentence(hit, limits)}`;
      return result;
    } finally {
      await cgroup
        ?.release()
        .catch((err) => this.settings.logger?.warn({ err }, 'could not remove a command cgroup'));
    }
  }

  /** The whole argv: join the cgroups, set the rlimits, then bubblewrap and the supervisor. */
  #argv(
    options: CommandOptions,
    workspace: SandboxWorkspace,
    procsFiles: readonly string[],
    env: Record<string, string>,
    network: boolean,
  ): string[] {
    const { limits } = this.settings;
    const { system, initScript, passwdFile, groupFile, shimDir } = this.parts;
    const proxy = network ? this.parts.proxy : undefined;
    const init: InitConfig = {
      command: options.command,
      env,
      proxySocket: proxy ? SANDBOX_PROXY_SOCKET : undefined,
      proxyPort: PROXY_PORT,
      // It counts processes; the cgroup counts threads too, so with one it usually stops first.
      maxProcesses: limits.maxProcesses,
      maxMemoryBytes: limits.maxMemoryBytes,
      maxDiskBytes: limits.maxDiskBytes,
      minFreeBytes: limits.minFreeBytes,
    };
    const joinCgroups = procsFiles.length
      ? [
          '/bin/sh',
          '-c',
          'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"',
          'cgroup-join',
          ...procsFiles,
          '--',
        ]
      : [];
    return [
      ...joinCgroups,
      ...this.#nice(),
      'prlimit',
      `--nproc=${this.#nprocLimit()}`,
      `--data=${limits.maxMemoryBytes}`,
      `--fsize=${limits.maxFileBytes}`,
      '--core=0',
      '--',
      'bwrap',
      // No --new-session: the launcher made the command's first process the leader of a
      // session of its own, with no controlling terminal (nothing to inject input into), and
      // the command stays in that session's scheduling group (see #nice).
      ...['--unshare-all', '--die-with-parent', '--cap-drop', 'ALL'],
      ...['--hostname', 'codeframe-sandbox'],
      ...system,
      ...commandMounts({
        workspace,
        cacheDir: this.settings.cacheDir,
        passwdFile,
        groupFile,
        initScript,
        shimDir,
        proxySocket: proxy?.socketPath,
        tmpBytes: limits.tmpBytes,
        binds: options.binds,
      }),
      '--',
      process.execPath,
      SANDBOX_INIT,
      JSON.stringify(init),
    ];
  }

  /** The environment a command gets: none of the worker's own (its keys stay its own). The
   * worktree's node_modules/.bin comes first on PATH, as in an npm script (the worktree is
   * mounted at its own path, so this is the same directory inside the sandbox). */
  #env(cwd: string, extra: Record<string, string> = {}, network = true): Record<string, string> {
    const inside = this.mode === 'bwrap';
    const cache = inside ? SANDBOX_CACHE : this.settings.cacheDir;
    const env: Record<string, string> = {
      PATH: `${join(cwd, 'node_modules', '.bin')}:${this.parts.path}`,
      HOME: '/tmp',
      TMPDIR: '/tmp',
      LANG: 'C.UTF-8',
      // Test runners and installers act non-interactively (no watch mode, no prompts).
      CI: 'true',
      npm_config_registry: this.settings.registry,
      npm_config_cache: `${cache}/npm`,
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
      npm_config_audit: 'false',
      // pnpm's store and other XDG caches (pip, playwright) land in the shared cache too.
      XDG_CACHE_HOME: `${cache}/xdg`,
      XDG_DATA_HOME: `${cache}/share`,
      YARN_CACHE_FOLDER: `${cache}/yarn`,
      COREPACK_HOME: `${cache}/corepack`,
      PIP_CACHE_DIR: `${cache}/pip`,
      GOMODCACHE: `${cache}/go/mod`,
      GOCACHE: `${cache}/go/build`,
      // git in the sandbox only reads: it never tries to refresh the read-only index.
      GIT_OPTIONAL_LOCKS: '0',
    };
    for (const name of CA_VARIABLES) {
      const value = process.env[name];
      if (value?.startsWith('/')) env[name] = value;
    }
    if (inside && network && this.parts.proxy) {
      const proxy = `http://127.0.0.1:${PROXY_PORT}`;
      for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'])
        env[name] = proxy;
      env.npm_config_proxy = proxy;
      env.npm_config_https_proxy = proxy;
      env.NO_PROXY = env.no_proxy = 'localhost,127.0.0.1,::1';
    }
    return { ...env, ...extra };
  }

  /**
   * The command's first step at niceness N (nothing at 0; it execs, so no process more).
   * Niceness alone counts for little: the launcher starts every command in a session of its
   * own, and with Linux's autogroup scheduling each session is a group that gets as much CPU
   * as the worker's whole group, whatever its niceness, so 30 test runs took 30 shares to
   * the worker's one and its event loop waited for the CPU. The step sets the session's
   * group to N too (root may always; others at most ten times a second, so it can fail,
   * quietly), and bubblewrap keeps the command in that session.
   */
  #nice(): string[] {
    const { nice } = this.settings.limits;
    if (nice === 0) return [];
    const renice = `{ echo ${nice} > /proc/self/autogroup; } 2>/dev/null`;
    return ['/bin/sh', '-c', `${renice}; exec /usr/bin/nice -n ${nice} "$@"`, 'nice'];
  }

  /** RLIMIT_NPROC counts every process of the user, so it is only a backstop: the cgroup
   * or the supervisor holds the per-command limit. Root is exempt from it anyway. */
  #nprocLimit(): number {
    return Math.max(4096, this.settings.limits.maxProcesses * 16);
  }

  async close(): Promise<void> {
    await this.parts.proxy?.close();
    await this.parts.cgroups?.close();
  }
}
