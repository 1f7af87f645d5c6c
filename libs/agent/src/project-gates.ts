import { access, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { packageManager, packageScripts } from './project-files.js';
import type { Tool } from './toolchain.js';
import { readRegularFile } from './worktree-files.js';

// The checks a project defines for itself, run after its tests pass (quality-gates.ts): its
// package.json lint and typecheck scripts, `tsc --noEmit` for a tsconfig without a
// typecheck script, ruff and mypy for a Python project. A gate is found only when the
// project has it and its tool is there: a project without any runs none.

export interface ProjectGate {
  /** "lint", "typecheck", "ruff", "mypy". */
  name: string;
  command: string;
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

const PYTHON_MARKERS = ['pyproject.toml', 'setup.py', 'setup.cfg'];
const VENVS = ['.venv', 'venv'];
/** Where a project configures mypy; mypy runs only for a project that asks for it. */
const MYPY_CONFIGS = ['mypy.ini', '.mypy.ini'];

async function isPythonProject(worktree: string): Promise<boolean> {
  for (const marker of PYTHON_MARKERS) if (await exists(join(worktree, marker))) return true;
  const names = await readdir(worktree).catch(() => [] as string[]);
  return names.some((name) => name.endsWith('.py'));
}

/** The project's own copy of a tool (its virtualenv, its node_modules), else the sandbox's. */
async function toolCommand(
  worktree: string,
  name: string,
  local: string[],
  toolchain: readonly Tool[],
): Promise<string | undefined> {
  for (const path of local) if (await exists(join(worktree, path))) return path;
  return toolchain.some((tool) => tool.name === name) ? name : undefined;
}

async function configuresMypy(worktree: string): Promise<boolean> {
  for (const config of MYPY_CONFIGS) if (await exists(join(worktree, config))) return true;
  for (const [file, section] of [
    ['pyproject.toml', /^\[tool\.mypy\]/m],
    ['setup.cfg', /^\[mypy\]/m],
  ] as const) {
    // Read without blocking or following a link: the model may have put anything there.
    const read = await readRegularFile(join(worktree, file), file, 1024 * 1024).catch(() => null);
    if (read && section.test(read.text)) return true;
  }
  return false;
}

/** The gates the checkout at `worktree` defines, in the order they run. */
export async function projectGates(
  worktree: string,
  toolchain: readonly Tool[],
): Promise<ProjectGate[]> {
  const gates: ProjectGate[] = [];
  const scripts = await packageScripts(worktree);
  const manager = await packageManager(worktree);
  if (scripts.lint) gates.push({ name: 'lint', command: `${manager} run lint` });
  if (scripts.typecheck) gates.push({ name: 'typecheck', command: `${manager} run typecheck` });
  else if (await exists(join(worktree, 'tsconfig.json'))) {
    const tsc = await toolCommand(worktree, 'tsc', ['node_modules/.bin/tsc'], toolchain);
    if (tsc) gates.push({ name: 'typecheck', command: `${tsc} --noEmit` });
  }
  if (await isPythonProject(worktree)) {
    const venv = (tool: string) => VENVS.map((dir) => `${dir}/bin/${tool}`);
    const ruff = await toolCommand(worktree, 'ruff', venv('ruff'), toolchain);
    if (ruff) gates.push({ name: 'ruff', command: `${ruff} check .` });
    const mypy = await toolCommand(worktree, 'mypy', venv('mypy'), toolchain);
    if (mypy && (await configuresMypy(worktree)))
      gates.push({ name: 'mypy', command: `${mypy} .` });
  }
  return gates;
}
