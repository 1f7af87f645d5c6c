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
  ['pip', 'python3 -m pip --version'],
  ['venv', 'python3 -c "import ensurepip, venv; print(\'venv with pip\')"'],
  ['pytest', 'python3 -m pytest --version'],
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
/** Tools found through another program (pip through python3), or shimmed (pnpm through npx). */
const NOT_ON_PATH = new Set(['pip', 'venv', 'pytest']);
const SHIMMED = new Set(['pnpm', 'yarn']);

/** The probe: one line `name<TAB>path<TAB>version` per tool found; the tools are asked at
 * once (some take a few hundred milliseconds to say their version), printed in order. */
export function probeScript(): string {
  const probes = PROBES.map(([name, version], i) => {
    const bin = NOT_ON_PATH.has(name) ? 'python3' : name;
    // A shim would fetch its package manager to say its version: it is only named.
    const run = SHIMMED.has(name)
      ? `case "$p" in /run/codeframe/*) v=shim ;; *) v=$(timeout 20 ${version} 2>&1 | head -n 1) ;; esac`
      : `v=$(timeout 20 ${version} 2>&1 | head -n 1)`;
    return `(p=$(command -v ${bin}) && ${run} && [ -n "$v" ] && printf '%s\\t%s\\t%s\\n' ${name} "$p" "$v") > /tmp/probe-${i} &`;
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
