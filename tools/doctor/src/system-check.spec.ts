import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onPath } from '@codeframe/doctor';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SCRIPT = join(ROOT, 'tools/doctor/src/system-check.mjs');
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'codeframe-doctor-'));
  dirs.push(dir);
  return dir;
}

/** A PATH holding only node (and whatever else is linked in). */
async function binWith(links: Record<string, string> = {}): Promise<string> {
  const bin = join(await tempDir(), 'bin');
  await mkdir(bin);
  await symlink(process.execPath, join(bin, 'node'));
  for (const [name, target] of Object.entries(links)) await symlink(target, join(bin, name));
  return bin;
}

function run(
  argv: string[],
  env: Record<string, string>,
  cwd = ROOT,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr }));
}

const isRoot = process.getuid?.() === 0;

describe('the fresh-machine check', () => {
  it('passes quietly on this machine, which has everything npm test needs', async () => {
    const r = await run([process.execPath, SCRIPT, 'test'], { PATH: process.env.PATH ?? '' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('with only node on PATH, names what is missing in its first line and how to install it', async () => {
    const bin = await binWith();
    const env = { PATH: bin, CODEFRAME_INSTALL_SYSTEM_PACKAGES: 'false' };
    const r = await run([process.execPath, SCRIPT, 'test'], env);
    expect(r.code).toBe(1);
    const [first, ...rest] = r.stderr.split('\n');
    expect(first).toMatch(
      /^npm test needs git, bwrap, prlimit, ps, ip, zsh and fish, which this machine lacks/,
    );
    expect(first).toContain(
      'apt-get install -y --no-install-recommends git bubblewrap util-linux procps iproute2 zsh fish',
    );
    // Chromium, Python and PostgreSQL are found at their absolute paths, as the tests use them.
    expect(first).not.toMatch(/chromium|python|postgres/i);
    expect(rest.join('\n')).toMatch(/bwrap, for the workers' command sandbox/);
    // npm start needs less: no ps, no ip.
    const start = await run([process.execPath, SCRIPT, 'start'], env);
    expect(start.code).toBe(1);
    expect(start.stderr.split('\n')[0]).toMatch(/^npm start needs git, bwrap and prlimit, which/);
  });

  it('stops npm test and npm start before Nx starts', async () => {
    // The real root package.json's scripts, in a copy of the workspace without node_modules.
    const dir = await tempDir();
    await mkdir(join(dir, 'tools/doctor/src'), { recursive: true });
    await copyFile(join(ROOT, 'package.json'), join(dir, 'package.json'));
    for (const file of ['checks.mjs', 'system-check.mjs']) {
      await copyFile(join(ROOT, 'tools/doctor/src', file), join(dir, 'tools/doctor/src', file));
    }
    const npm = await realpath(onPath('npm', process.env)!);
    // npm runs scripts with sh, which every base system has.
    const bin = await binWith({ npm, sh: '/bin/sh' });
    const env = { PATH: bin, HOME: dir, CODEFRAME_INSTALL_SYSTEM_PACKAGES: '0' };
    for (const command of ['test', 'start']) {
      const r = await run([join(bin, 'npm'), command, '--no-update-notifier'], env, dir);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^npm ${command} needs git, bwrap`, 'm'));
      expect(r.stderr).toMatch(/uWebSockets.js is not installed; run `npm ci` first/);
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/nx: not found|> codeframe-ts@0.1.0 test\n/);
    }
  });

  it('says what is wrong when bwrap is there but cannot make a sandbox, and installs nothing for it', async () => {
    const dir = await tempDir();
    const fake = join(dir, 'bwrap');
    await writeFile(
      fake,
      '#!/bin/sh\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n',
    );
    await chmod(fake, 0o755);
    const links = Object.fromEntries(
      ['git', 'prlimit'].map((name) => [name, onPath(name, process.env)!]),
    );
    const bin = await binWith({ ...links, bwrap: fake });
    const r = await run([process.execPath, SCRIPT, 'start'], { PATH: bin });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(
      'npm start cannot run here: bwrap: bwrap cannot create a sandbox here (bwrap: setting up uid map: Permission denied); allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1; on Ubuntu 24.04 an AppArmor profile for bwrap, or sysctl kernel.apparmor_restrict_unprivileged_userns=0), or set CODEFRAME_SANDBOX=none where running task commands unsandboxed is acceptable',
    );
  });

  it.skipIf(!isRoot)(
    'as root, installs the missing packages with apt-get, says why, and checks again (needs root)',
    async () => {
      const dir = await tempDir();
      const bin = join(dir, 'bin');
      await mkdir(bin);
      await symlink(process.execPath, join(bin, 'node'));
      // A stand-in for apt-get that records its calls and "installs" by linking this
      // machine's binaries into the PATH.
      const provides: Record<string, string> = {
        git: onPath('git', process.env)!,
        bubblewrap: onPath('bwrap', process.env)!,
        'util-linux': onPath('prlimit', process.env)!,
      };
      const names: Record<string, string> = {
        git: 'git',
        bubblewrap: 'bwrap',
        'util-linux': 'prlimit',
      };
      const cases = Object.entries(provides)
        .map(([pkg, path]) => `    ${pkg}) /bin/ln -s ${path} ${join(bin, names[pkg]!)} ;;`)
        .join('\n');
      const log = join(dir, 'apt.log');
      await writeFile(
        join(bin, 'apt-get'),
        `#!/bin/sh\necho "$*" >> ${log}\nfor p in "$@"; do\n  case "$p" in\n${cases}\n  esac\ndone\n`,
      );
      await chmod(join(bin, 'apt-get'), 0o755);
      const r = await run([process.execPath, SCRIPT, 'start'], { PATH: bin });
      expect(r.stderr.split('\n')[0]).toBe(
        "npm start: installing the Debian packages it needs for git (the lead's and the workers' repositories), bwrap (the workers' command sandbox), prlimit (the sandbox's rlimits): apt-get update && apt-get install -y --no-install-recommends git bubblewrap util-linux (CODEFRAME_INSTALL_SYSTEM_PACKAGES=false stops instead)",
      );
      expect(await readFile(log, 'utf8')).toBe(
        'update\ninstall -y --no-install-recommends git bubblewrap util-linux\n',
      );
      expect(r.code).toBe(0);
    },
  );

  it('refuses a bad CODEFRAME_INSTALL_SYSTEM_PACKAGES and a bad command line', async () => {
    const env = { PATH: process.env.PATH ?? '', CODEFRAME_INSTALL_SYSTEM_PACKAGES: 'maybe' };
    const bad = await run([process.execPath, SCRIPT, 'test'], env);
    expect(bad.code).toBe(78);
    expect(bad.stderr).toBe(
      'npm test: configuration error: CODEFRAME_INSTALL_SYSTEM_PACKAGES="maybe" is not a boolean (expected true or false)\n',
    );
    const usage = await run([process.execPath, SCRIPT, 'deploy'], { PATH: process.env.PATH ?? '' });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^system-check: say start or test/);
  });
});
