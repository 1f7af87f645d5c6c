import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEnvironment, parseProbe, probeScript } from './toolchain.js';

describe('the toolchain probe', () => {
  it('reads what the probe printed, leaving out what failed', () => {
    const output = [
      'node\t/usr/bin/node\tv20.20.2',
      'npm\t/usr/bin/npm\t11.19.1',
      'pnpm\t/run/codeframe/bin/pnpm\tshim',
      'python3\t/usr/bin/python3\tPython 3.11.2',
      'pytest\t/usr/bin/python3\t/usr/bin/python3: No module named pytest',
      'go\t/usr/local/go/bin/go\tgo version go1.22.4 linux/amd64',
      'java\t/usr/bin/java\topenjdk version "17.0.15" 2025-04-15',
    ].join('\n');
    expect(parseProbe(output).map((t) => [t.name, t.version, t.path])).toEqual([
      ['node', 'v20.20.2', '/usr/bin/node'],
      ['npm', '11.19.1', '/usr/bin/npm'],
      ['pnpm', '(fetched from the npm registry on first use)', '/run/codeframe/bin/pnpm'],
      ['python3', '3.11.2', '/usr/bin/python3'],
      ['go', '1.22.4 linux/amd64', '/usr/local/go/bin/go'],
      ['java', '17.0.15 2025-04-15', '/usr/bin/java'],
    ]);
  });

  it('asks every tool at once and prints them in order', () => {
    const script = probeScript();
    expect(script.match(/ &$/gm)?.length).toBeGreaterThan(10);
    expect(script).toMatch(/\nwait\ncat \/tmp\/probe-0 /);
  });

  it('finds the versions npm, pip and pytest report of themselves, without starting them', () => {
    // The probe on this host (the sandbox runs the same script): pip, pytest and npm are
    // read from what they installed, and must agree with what they say when asked.
    const dir = mkdtempSync(join(tmpdir(), 'probe-'));
    const script = probeScript().replaceAll('/tmp/probe-', `${dir}/probe-`);
    const found = new Map(
      parseProbe(execFileSync('sh', ['-c', script], { encoding: 'utf8' })).map((t) => [
        t.name,
        t.version,
      ]),
    );
    const asked = (command: string, args: string[]) => {
      try {
        return execFileSync(command, args, { encoding: 'utf8', stdio: 'pipe' });
      } catch {
        return undefined;
      }
    };
    const reported = {
      npm: asked('npm', ['--version'])?.trim(),
      pip: asked('python3', ['-m', 'pip', '--version'])?.split(' ')[1],
      pytest: asked('python3', ['-m', 'pytest', '--version'])?.trim().split(' ')[1],
      venv:
        asked('python3', ['-c', 'import ensurepip, venv']) === undefined
          ? undefined
          : 'venv with pip',
    };
    expect(reported.npm, 'npm runs here').toBeDefined();
    for (const [name, version] of Object.entries(reported)) {
      expect(found.get(name), name).toBe(version);
    }
  });

  it('describes the sandbox to the model: what is installed and what the network allows', () => {
    const tools = parseProbe(
      'node\t/usr/bin/node\tv20.20.2\nvenv\t/usr/bin/python3\tvenv with pip',
    );
    expect(describeEnvironment(tools, ['registry.npmjs.org:443'])).toBe(
      'Commands run in a sandbox that sees only this checkout, a private /tmp and a package cache; git is read-only there (git status, diff and log work), and the worker commits your work. Installed: node v20.20.2, python3 -m venv. Network: only the package registries (registry.npmjs.org:443), so dependencies install (npm install <package>, npm ci); every other host is unreachable, so tests must not need the network.',
    );
    expect(describeEnvironment([], [])).toMatch(
      /Installed: only a POSIX shell\. Network: none; use only what is installed\.$/,
    );
    expect(describeEnvironment(tools, ['pypi.org:443'])).toContain('pip install in a .venv');
    expect(describeEnvironment(tools, ['*'])).toMatch(/^Commands run without a sandbox/);
  });
});
