// What this machine needs to run CodeFRAME, one definition of each check: npm start's and
// npm test's pre-check (system-check.mjs, before any build) and `codeframe doctor` both run
// these. Plain Node with JSDoc types: it runs before `npm ci` has built anything.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** @typedef {'start' | 'test'} Purpose */

/**
 * @typedef {object} ProbeContext
 * @property {NodeJS.ProcessEnv} env  the environment (its PATH is where commands are looked for)
 * @property {string} root  the workspace root
 */

/**
 * @typedef {object} Passed
 * @property {true} ok
 * @property {string} detail  what was found, one sentence
 */

/**
 * @typedef {object} Failed
 * @property {false} ok
 * @property {string} detail  what is wrong, one sentence
 * @property {string} fix  what to do about it
 * @property {string[]} packages  the Debian packages that fix it ([] when no package does)
 */

/** @typedef {Passed | Failed} ProbeResult */

/**
 * @typedef {object} SystemCheck
 * @property {string} id
 * @property {string} title  what is missing when it fails: `git`, `bwrap`, `Chromium`
 * @property {string} why  what needs it
 * @property {Purpose[]} neededBy  the commands that cannot run without it
 * @property {boolean} [afterNpmCi]  it checks what `npm ci` installs, so it waits for it
 * @property {(ctx: ProbeContext) => ProbeResult} probe
 */

/** The workspace root: this file is tools/doctor/src/checks.mjs. */
export const WORKSPACE_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

const PROBE_TIMEOUT_MS = 20_000;

/**
 * The command's absolute path when `name` is an executable file on `env.PATH`.
 * @param {string} name
 * @param {NodeJS.ProcessEnv} env
 * @returns {string | undefined}
 */
export function onPath(name, env) {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {}
  }
  return undefined;
}

/**
 * Runs a probe command; resolves its status and its last line of output.
 * @param {string} command
 * @param {string[]} args
 * @param {ProbeContext} ctx
 * @param {string} [cwd]
 */
function run(command, args, ctx, cwd) {
  const r = spawnSync(command, args, {
    env: ctx.env,
    cwd: cwd ?? ctx.root,
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const text = `${r.stderr ?? ''}\n${r.stdout ?? ''}`;
  const last =
    r.error?.message ??
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ??
    '';
  return { status: r.status, stdout: (r.stdout ?? '').trim(), last };
}

/**
 * @param {string} detail
 * @param {string[]} packages
 * @param {string} [fix]
 * @returns {Failed}
 */
const missing = (detail, packages, fix) => ({
  ok: false,
  detail,
  packages,
  fix: fix ?? `install it: ${installCommand(packages)}`,
});

/**
 * The command that installs Debian packages, as root.
 * @param {string[]} packages
 */
export const installCommand = (packages) =>
  `apt-get install -y --no-install-recommends ${packages.join(' ')}`;

/**
 * A check that a command is on PATH, from a Debian package.
 * @param {{ id: string, command: string, packages: string[], why: string, neededBy: Purpose[], version?: string[] }} spec
 * @returns {SystemCheck}
 */
function command(spec) {
  return {
    id: spec.id,
    title: spec.command,
    why: spec.why,
    neededBy: spec.neededBy,
    probe(ctx) {
      const path = onPath(spec.command, ctx.env);
      if (!path) return missing(`${spec.command} is not on PATH`, spec.packages);
      const version = spec.version ? run(path, spec.version, ctx).stdout.split('\n')[0] : '';
      return { ok: true, detail: `${path}${version ? ` (${version})` : ''}` };
    },
  };
}

/**
 * `major.minor.patch` of a version string, compared as numbers.
 * @param {string} version
 */
const versionParts = (version) => version.replace(/^v/, '').split('.').map(Number);

/**
 * True when `version` is at least `minimum` (both `20.19.0`-like).
 * @param {string} version
 * @param {string} minimum
 */
export function atLeast(version, minimum) {
  const a = versionParts(version);
  const b = versionParts(minimum);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}

// uWebSockets.js falls back to a slow pure-JS server when its binary does not load for this
// Node; the edge refuses to run on it (services/edge/src/uws.ts), and so does this check.
const UWS_PROBE = `
let uws;
try { uws = require('uWebSockets.js'); }
catch (e) { if (e && e.code === 'MODULE_NOT_FOUND') { process.stdout.write('missing'); process.exit(0); } throw e; }
process.stdout.write(Function.prototype.toString.call(uws.App).includes('[native code]') ? 'native' : 'fallback');
`;

/** Every system check, in the order they are reported. */
/** @type {SystemCheck[]} */
export const SYSTEM_CHECKS = [
  {
    id: 'node',
    title: 'Node.js',
    why: 'everything (the engines field of package.json)',
    neededBy: ['start', 'test'],
    probe(ctx) {
      const manifest = JSON.parse(readFileSync(join(ctx.root, 'package.json'), 'utf8'));
      const minimum = String(manifest.engines?.node ?? '').replace(/^>=\s*/, '') || '0';
      return atLeast(process.versions.node, minimum)
        ? { ok: true, detail: `Node ${process.version} (needs ${minimum} or later)` }
        : missing(
            `Node ${process.version} is older than ${minimum}`,
            [],
            `install Node.js 20 (${minimum} or later), the version the edge's uWebSockets.js binary is built for`,
          );
    },
  },
  {
    id: 'uws',
    title: 'uWebSockets.js',
    why: "the edge's WebSocket server",
    neededBy: ['start', 'test'],
    afterNpmCi: true,
    probe(ctx) {
      const edge = join(ctx.root, 'services/edge');
      const r = run(process.execPath, ['-e', UWS_PROBE], ctx, existsSync(edge) ? edge : ctx.root);
      const where = `Node ${process.version} (ABI ${process.versions.modules}, ${process.platform}-${process.arch})`;
      if (r.stdout === 'native') return { ok: true, detail: `its native binary loads on ${where}` };
      if (r.stdout === 'missing') {
        return missing('uWebSockets.js is not installed', [], 'run `npm ci` first');
      }
      return missing(
        `its native binary does not load on ${where}${r.stdout === 'fallback' ? '' : ` (${r.last})`}`,
        [],
        '@trufflesuite/uws-js-unofficial ships binaries for Node 16, 18 and 20 on Linux (x64, arm64, armv7), macOS and Windows x64: use Node 20 on one of them, then `npm ci`',
      );
    },
  },
  command({
    id: 'git',
    command: 'git',
    packages: ['git'],
    why: "the lead's and the workers' repositories",
    neededBy: ['start', 'test'],
    version: ['--version'],
  }),
  {
    id: 'bwrap',
    title: 'bwrap',
    why: "the workers' command sandbox",
    neededBy: ['start', 'test'],
    probe(ctx) {
      const path = onPath('bwrap', ctx.env);
      if (!path) return missing('bwrap is not on PATH', ['bubblewrap']);
      // The namespaces the workers' sandbox asks for (libs/agent/src/sandbox.ts).
      const r = run(
        path,
        [
          ...['--unshare-all', '--die-with-parent', '--cap-drop', 'ALL'],
          ...['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc'],
          ...['--', process.execPath, '-e', ''],
        ],
        ctx,
      );
      if (r.status === 0) return { ok: true, detail: `${path} starts a sandbox here` };
      return missing(
        `bwrap cannot create a sandbox here (${r.last || `exit ${r.status}`})`,
        [],
        'allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 an AppArmor profile for bwrap, or sysctl kernel.apparmor_restrict_unprivileged_userns=0), or set CODEFRAME_SANDBOX=none where running task commands unsandboxed is acceptable',
      );
    },
  },
  command({
    id: 'prlimit',
    command: 'prlimit',
    packages: ['util-linux'],
    why: "the sandbox's rlimits",
    neededBy: ['start', 'test'],
  }),
  command({
    id: 'ps',
    command: 'ps',
    packages: ['procps'],
    why: 'the tests that check no process is left behind',
    neededBy: ['test'],
  }),
  {
    id: 'chromium',
    title: 'Chromium',
    why: "the dashboard's browser tests (playwright-core drives /usr/bin/chromium)",
    neededBy: ['test'],
    probe() {
      return existsSync('/usr/bin/chromium')
        ? { ok: true, detail: '/usr/bin/chromium' }
        : missing('/usr/bin/chromium does not exist', ['chromium', 'fonts-liberation']);
    },
  },
  {
    id: 'python-grpc',
    title: 'Python gRPC',
    why: "the Python example client's test",
    neededBy: ['test'],
    probe(ctx) {
      if (!existsSync('/usr/bin/python3')) {
        return missing('/usr/bin/python3 does not exist', [
          'python3',
          'python3-grpcio',
          'python3-protobuf',
        ]);
      }
      const r = run('/usr/bin/python3', ['-c', 'import grpc, google.protobuf'], ctx);
      return r.status === 0
        ? { ok: true, detail: '/usr/bin/python3 imports grpc and google.protobuf' }
        : missing(`/usr/bin/python3 cannot import grpc and google.protobuf (${r.last})`, [
            'python3-grpcio',
            'python3-protobuf',
          ]);
    },
  },
  {
    id: 'pytest',
    title: 'pytest',
    why: "a Python project's tests in the sandbox",
    neededBy: ['test'],
    probe(ctx) {
      const r = existsSync('/usr/bin/python3')
        ? run('/usr/bin/python3', ['-c', 'import pytest'], ctx)
        : { status: 1 };
      return r.status === 0
        ? { ok: true, detail: '/usr/bin/python3 imports pytest' }
        : missing('/usr/bin/python3 cannot import pytest', ['python3-pytest']);
    },
  },
  {
    id: 'postgresql',
    title: 'PostgreSQL',
    why: "the PostgreSQL store's tests (a throwaway cluster of their own)",
    neededBy: ['test'],
    probe() {
      const base = '/usr/lib/postgresql';
      const versions = existsSync(base) ? readdirSync(base) : [];
      const initdb = versions.map((v) => join(base, v, 'bin/initdb')).find((p) => existsSync(p));
      return initdb
        ? { ok: true, detail: initdb }
        : missing(`no ${base}/*/bin/initdb`, ['postgresql']);
    },
  },
  {
    id: 'nginx',
    title: 'nginx',
    why: "the test of the edge's TLS proxy (deploy/nginx/edge.conf)",
    neededBy: ['test'],
    probe() {
      return existsSync('/usr/sbin/nginx')
        ? { ok: true, detail: '/usr/sbin/nginx' }
        : missing('/usr/sbin/nginx does not exist', ['nginx-light']);
    },
  },
  command({
    id: 'ip',
    command: 'ip',
    packages: ['iproute2'],
    why: 'the test that runs the system on hosts of its own (network namespaces)',
    neededBy: ['test'],
  }),
  command({
    id: 'zsh',
    command: 'zsh',
    packages: ['zsh'],
    why: "the test that loads the CLI's zsh completion",
    neededBy: ['test'],
  }),
  command({
    id: 'fish',
    command: 'fish',
    packages: ['fish'],
    why: "the test that loads the CLI's fish completion",
    neededBy: ['test'],
  }),
];

/**
 * @typedef {object} CheckOutcome
 * @property {SystemCheck} check
 * @property {ProbeResult} result
 */

/**
 * Runs the checks `purpose` needs (every check without one); a probe that throws fails.
 * @param {{ purpose?: Purpose, env?: NodeJS.ProcessEnv, root?: string, beforeNpmCi?: boolean }} [options]
 * @returns {CheckOutcome[]}
 */
export function runSystemChecks(options = {}) {
  const ctx = { env: options.env ?? process.env, root: options.root ?? WORKSPACE_ROOT };
  return SYSTEM_CHECKS.filter(
    (check) =>
      (!options.purpose || check.neededBy.includes(options.purpose)) &&
      !(options.beforeNpmCi && check.afterNpmCi),
  ).map((check) => {
    try {
      return { check, result: check.probe(ctx) };
    } catch (error) {
      const detail = `the check failed: ${/** @type {Error} */ (error).message}`;
      return { check, result: missing(detail, [], 'see the message') };
    }
  });
}
