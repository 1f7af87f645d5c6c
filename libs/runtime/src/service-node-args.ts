import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The Node.js flags a service needs, declared once in its package.json as
 * `"codeframe": { "nodeArgs": [...] }` (the edge's `--max-semi-space-size`, which only
 * takes effect on the command line). Every starter (the `npm start` launcher, the test
 * harness, the benchmarks) passes them before the entry; a service started without them
 * says so in its log (`missingNodeArgs`).
 *
 * `entry` is the path of the service's built entry (`services/edge/dist/main.js`),
 * relative to `cwd`; the declaration is read from the nearest package.json above it (none:
 * no flags).
 */
export function serviceNodeArgs(entry: string, cwd = process.cwd()): string[] {
  const file = packageJsonAbove(resolve(cwd, entry));
  if (!file) return [];
  const declared = (
    JSON.parse(readFileSync(file, 'utf8')) as { codeframe?: { nodeArgs?: unknown } }
  ).codeframe?.nodeArgs;
  if (declared === undefined) return [];
  if (
    !Array.isArray(declared) ||
    !declared.every((arg) => typeof arg === 'string' && /^--[a-z]/.test(arg))
  ) {
    throw new Error(
      `${file}: codeframe.nodeArgs must be a list of flags such as "--max-semi-space-size=2"`,
    );
  }
  return declared;
}

/** The declared flags of the running service (by `process.argv[1]`) that are not in effect. */
export function missingNodeArgs(
  entry = process.argv[1] ?? '',
  inEffect = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)],
): string[] {
  if (!entry) return [];
  return serviceNodeArgs(entry).filter((arg) => !inEffect.includes(arg));
}

function packageJsonAbove(path: string): string | undefined {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) return file;
    if (dirname(dir) === dir) return undefined;
  }
}
