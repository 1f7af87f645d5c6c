import { create } from '@bufbuild/protobuf';
import { type Tool, ToolSchema } from '@codeframe/proto';
import type { Sandbox } from './sandbox.js';

// What sandboxed commands can really run, found by running them in the sandbox when the
// worker starts: reported in Describe, and told to the model (and the lead's planner)
// instead of a fixed "built-ins only".

export type { Tool };

/** Each tool and the command that prints its version (first line). */
const PROBES: [name: string, version: string][] = [
  ['node', 'node --version'],
  ['npm', 'npm --version'],
  ['pnpm', 'pnpm --version'],
  ['yarn', 'yarn --version'],
  ['python3', 'python3 --version'],
  // pip, venv and pytest: asked of python3 together (PYTHON_MODULES).
  ['pip', ''],
  ['go', 'go version'],
  ['cargo', 'cargo --version'],
  ['rustc', 'rustc --version'],
  ['java', 'java -version'],
  ['git', 'git --version'],
  ['chromium', 'chromium --version'],
  ['tsc', 'tsc --version'],
  ['ruff', 'ruff --version'],
  ['mypy', 'mypy --version'],
  ['make', 'make --version'],
  ['gcc', 'gcc --version'],
];
/** Tools shimmed (pnpm through npx): only named, as a shim would fetch its package manager. */
const SHIMMED = new Set(['pnpm', 'yarn']);

/**
 * pip, venv and pytest in one python3 (each `python3 -m X --version` costs a python start and
 * X's imports, a quarter of a second of CPU): pip's and pytest's versions from their installed
 * metadata, venv by importing what `python3 -m venv` needs. Prints `name<TAB>version` lines.
 */
const PYTHON_MODULES = [
  'import importlib.metadata as m',
  'for n in ("pip", "pytest"):',
  '  try: print(n + "\\t" + m.version(n))',
  '  except Exception: pass',
  'try:',
  '  import ensurepip, venv',
  '  print("venv\\tvenv with pip")',
  'except Exception: pass',
].join('\n');

/**
 * npm's version from the package.json beside the script npm runs (`npm --version` starts npm,
 * a fifth of a second of CPU); `npm --version` when that file is not npm's.
 */
const NPM_VERSION = `{ ${[
  'd=$(dirname "$(readlink -f "$p")")/..',
  `v=$(grep -q '^  "name": "npm",$' "$d/package.json" 2>/dev/null && sed -n 's/^  "version": "\\(.*\\)",$/\\1/p' "$d/package.json" | head -n 1)`,
  '[ -n "$v" ] || v=$(timeout 20 npm --version 2>&1 | head -n 1)',
].join('; ')}; }`;

/** The probe: one line `name<TAB>path<TAB>version` per tool found; the tools are asked at
 * once (some take a few hundred milliseconds to say their version), printed in order. */
export function probeScript(): string {
  const probes = PROBES.map(([name, version], i) => {
    const out = `> /tmp/probe-${i} &`;
    if (name === 'pip') {
      return `(p=$(command -v python3) && timeout 20 python3 -c '${PYTHON_MODULES}' 2>/dev/null | while IFS="$(printf '\\t')" read -r n v; do printf '%s\\t%s\\t%s\\n' "$n" "$p" "$v"; done) ${out}`;
    }
    const run = SHIMMED.has(name)
      ? `case "$p" in /run/codeframe/*) v=shim ;; *) v=$(timeout 20 ${version} 2>&1 | head -n 1) ;; esac`
      : name === 'npm'
        ? NPM_VERSION
        : `v=$(timeout 20 ${version} 2>&1 | head -n 1)`;
    return `(p=$(command -v ${name}) && ${run} && [ -n "$v" ] && printf '%s\\t%s\\t%s\\n' ${name} "$p" "$v") ${out}`;
  });
  return [...probes, 'wait', `cat ${PROBES.map((_, i) => `/tmp/probe-${i}`).join(' ')}`].join('\n');
}

/** Parses the probe's output; a tool whose version command failed is left out. */
export function parseProbe(output: string): Tool[] {
  const tools: Tool[] = [];
  for (const line of output.split('\n')) {
    const [name, path, ...rest] = line.split('\t');
    const version = rest.join('\t').trim();
    if (!name || !path || !version || /not found|No module named|Error|error:/.test(version))
      continue;
    if (SHIMMED.has(name) && version === 'shim') {
      tools.push(
        create(ToolSchema, { name, path, version: '(fetched from the npm registry on first use)' }),
      );
      continue;
    }
    tools.push(create(ToolSchema, { name, path, version: cleanVersion(version) }));
  }
  return tools;
}

function cleanVersion(line: string): string {
  return line
    .replace(
      /^(go version go|openjdk version |git version |Python |cargo |rustc |Chromium |GNU Make |gcc \(.*?\) |pytest |Version |ruff |mypy )/,
      '',
    )
    .replace(/"/g, '')
    .trim();
}

/** Runs the probe in the sandbox, in `dir`. */
export async function probeToolchain(sandbox: Sandbox, dir: string): Promise<Tool[]> {
  const result = await sandbox.run({
    command: probeScript(),
    workspace: { path: dir },
    timeoutMs: 120_000,
    maxOutputBytes: 64_000,
  });
  return parseProbe(result.stdout);
}

/**
 * The sandbox as the model should picture it: what it sees, what is installed and what the
 * network allows. One paragraph, for the role prompts.
 */
export function describeEnvironment(tools: readonly Tool[], network: readonly string[]): string {
  const names = tools.map((t) =>
    t.name === 'venv' ? 'python3 -m venv' : `${t.name} ${t.version}`,
  );
  const installed = names.length > 0 ? names.join(', ') : 'only a POSIX shell';
  const pypi = network.some((host) => host.startsWith('pypi.org:'));
  const installs = ['npm install <package>', 'npm ci', ...(pypi ? ['pip install in a .venv'] : [])];
  if (network.includes('*')) {
    return `Commands run without a sandbox, on the worker itself: stay inside this checkout, and leave .git to the worker, which commits your work. Installed: ${installed}.`;
  }
  const reach =
    network.length > 0
      ? `Network: only the package registries (${network.join(', ')}), so dependencies install (${installs.join(', ')}); every other host is unreachable, so tests must not need the network.`
      : 'Network: none; use only what is installed.';
  return `Commands run in a sandbox that sees only this checkout, a private /tmp and a package cache; git is read-only there (git status, diff and log work), and the worker commits your work. Installed: ${installed}. ${reach}`;
}
