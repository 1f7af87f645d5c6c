import { access, lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

// What a repository's files say about how it is built: its package manager (from the
// lockfile), how its dependencies install, and how its tests run.

export type PackageManager = 'npm' | 'pnpm' | 'yarn';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

/** The largest package.json read: the worker parses it on its own event loop. */
const MAX_MANIFEST_BYTES = 1024 * 1024;

/** The worktree's package.json, read only when it is a regular file of sensible size: the
 * model wrote it, and a FIFO would hang the read, a symlink lead out of the worktree. */
async function packageJson(worktree: string): Promise<Record<string, unknown> | undefined> {
  const path = join(worktree, 'package.json');
  const st = await lstat(path).catch(() => null);
  if (!st?.isFile() || st.size > MAX_MANIFEST_BYTES) return undefined;
  try {
    const pkg = JSON.parse(await readFile(path, 'utf8'));
    return pkg && typeof pkg === 'object' ? pkg : undefined;
  } catch {
    return undefined;
  }
}

/** The package.json scripts that are commands (strings), by name; none without a package.json. */
export async function packageScripts(worktree: string): Promise<Record<string, string>> {
  const scripts = (await packageJson(worktree))?.scripts;
  if (!scripts || typeof scripts !== 'object') return {};
  return Object.fromEntries(
    Object.entries(scripts).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1].trim() !== '',
    ),
  );
}

/** The `start` script of the worktree's package.json, when it has one. */
export async function startScript(worktree: string): Promise<string | undefined> {
  const scripts = (await packageJson(worktree))?.scripts as Record<string, unknown> | undefined;
  const start = scripts?.start;
  return typeof start === 'string' && start.trim() ? start : undefined;
}

/** The package manager the lockfile (or package.json's packageManager) names; npm if none. */
export async function packageManager(worktree: string): Promise<PackageManager> {
  if (await exists(join(worktree, 'pnpm-lock.yaml'))) return 'pnpm';
  if (await exists(join(worktree, 'yarn.lock'))) return 'yarn';
  if (await exists(join(worktree, 'package-lock.json'))) return 'npm';
  const named = String((await packageJson(worktree))?.packageManager ?? '');
  if (named.startsWith('pnpm@')) return 'pnpm';
  if (named.startsWith('yarn@')) return 'yarn';
  return 'npm';
}

/**
 * The command that installs a checkout's locked dependencies, when it has a lockfile and
 * dependencies but no node_modules yet (a task that starts from merged work, or from an
 * existing repository); undefined when there is nothing to install.
 */
export async function dependencyInstallCommand(worktree: string): Promise<string | undefined> {
  const pkg = await packageJson(worktree);
  if (!pkg) return undefined;
  const declared = ['dependencies', 'devDependencies', 'optionalDependencies'].some(
    (field) => Object.keys((pkg[field] as object | undefined) ?? {}).length > 0,
  );
  if (!declared || (await exists(join(worktree, 'node_modules')))) return undefined;
  if (await exists(join(worktree, 'pnpm-lock.yaml'))) return 'pnpm install --frozen-lockfile';
  if (await exists(join(worktree, 'yarn.lock'))) return 'yarn install --frozen-lockfile';
  if (
    (await exists(join(worktree, 'package-lock.json'))) ||
    (await exists(join(worktree, 'npm-shrinkwrap.json')))
  )
    return 'npm ci';
  return undefined;
}

const PYTHON_MARKERS = ['pyproject.toml', 'setup.py', 'setup.cfg', 'pytest.ini', 'tox.ini'];
const NPM_PLACEHOLDER = /no test specified/;

async function hasPythonTests(worktree: string): Promise<boolean> {
  for (const marker of PYTHON_MARKERS) if (await exists(join(worktree, marker))) return true;
  for (const dir of ['.', 'tests', 'test']) {
    const names = await readdir(join(worktree, dir)).catch(() => [] as string[]);
    if (names.some((n) => /^test_.*\.py$|_test\.py$/.test(n))) return true;
  }
  return false;
}

/** What only npm itself gives a script: its lifecycle hooks and its npm_* variables. */
const NEEDS_NPM = /\bnpm_[a-z]/i;

/**
 * The command that runs a repository's tests: its package.json test script (with the
 * package manager its lockfile names), pytest for a Python project (with the virtualenv
 * inside the worktree when there is one), `go test` for a Go module, `cargo test` for a
 * Rust crate, else Node's own runner.
 *
 * An npm project's script runs as itself, the way `npm test` runs it (through `sh -c`,
 * with the worktree's node_modules/.bin first on PATH, which every sandboxed command has),
 * without npm's own start-up: that is a third of a second of CPU on every test run. It
 * goes through npm when it has a pretest or posttest hook or reads npm's variables.
 */
export async function detectTestCommand(worktree: string): Promise<string> {
  const scripts = await packageScripts(worktree);
  const test = scripts.test;
  if (test !== undefined && !NPM_PLACEHOLDER.test(test)) {
    const manager = await packageManager(worktree);
    if (manager !== 'npm') return `${manager} test`;
    const hooked = scripts.pretest !== undefined || scripts.posttest !== undefined;
    return hooked || NEEDS_NPM.test(test) ? 'npm test --silent' : test.trim();
  }
  if (await hasPythonTests(worktree)) {
    for (const venv of ['.venv', 'venv']) {
      if (await exists(join(worktree, venv, 'bin', 'python')))
        return `${venv}/bin/python -m pytest`;
    }
    return 'python3 -m pytest';
  }
  if (await exists(join(worktree, 'go.mod'))) return 'go test -v ./...';
  if (await exists(join(worktree, 'Cargo.toml'))) return 'cargo test';
  return 'node --test';
}
