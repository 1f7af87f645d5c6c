// The parts of a repository's manifests that a planner needs: what the project is called,
// how it is run and tested, what it depends on. Read as text (package.json as JSON), never
// by the ecosystem's own tools, which would run the project's code.

export const MANIFEST_NAMES = new Set([
  'package.json',
  'pyproject.toml',
  'requirements.txt',
  'requirements-dev.txt',
  'go.mod',
  'Cargo.toml',
]);

export interface ManifestSummary {
  path: string;
  lines: string[];
  /** The command that runs the project's tests, when the manifest names one. */
  testCommand?: string;
  /** Test frameworks it depends on or names. */
  frameworks: string[];
}

const MAX_LINES = 40;
const MAX_VALUE = 160;
const FRAMEWORKS = ['vitest', 'jest', 'mocha', 'ava', 'tap', 'pytest', 'hypothesis'];

const clip = (text: string) =>
  text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text.replace(/[\r\n]+/g, ' ');

export function summariseManifest(path: string, text: string): ManifestSummary {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const summary =
    name === 'package.json'
      ? packageJson(text)
      : name.endsWith('.txt')
        ? requirements(text)
        : name === 'go.mod'
          ? goMod(text)
          : tomlSections(text, name === 'Cargo.toml' ? CARGO_SECTIONS : PYPROJECT_SECTIONS);
  const more = summary.lines.length - MAX_LINES;
  const lines = summary.lines.slice(0, MAX_LINES).map(clip);
  if (more > 0) lines.push(`[${more} more lines]`);
  const lower = `\n${text.toLowerCase()}`;
  const frameworks = FRAMEWORKS.filter((f) => new RegExp(`["'\\s^]${f}\\b`).test(lower));
  if (name === 'go.mod') summary.testCommand = 'go test ./...';
  if (name === 'Cargo.toml') summary.testCommand = 'cargo test';
  if (name === 'pyproject.toml' && /\[tool\.pytest/.test(text)) summary.testCommand = 'pytest';
  return {
    path,
    lines,
    frameworks,
    ...(summary.testCommand ? { testCommand: summary.testCommand } : {}),
  };
}

type Parts = { lines: string[]; testCommand?: string };

function packageJson(text: string): Parts {
  let pkg: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error();
    pkg = parsed as Record<string, unknown>;
  } catch {
    return { lines: ['(not valid JSON)'] };
  }
  const lines: string[] = [];
  for (const key of ['name', 'version', 'type', 'main', 'module', 'types']) {
    if (typeof pkg[key] === 'string') lines.push(`${key}: ${pkg[key]}`);
  }
  for (const key of ['bin', 'exports', 'engines', 'workspaces']) {
    if (pkg[key] !== undefined) lines.push(`${key}: ${JSON.stringify(pkg[key])}`);
  }
  const scripts = record(pkg.scripts);
  for (const [name, command] of Object.entries(scripts)) lines.push(`scripts.${name}: ${command}`);
  for (const key of ['dependencies', 'devDependencies', 'peerDependencies']) {
    const deps = Object.entries(record(pkg[key]));
    if (deps.length > 0) lines.push(`${key}: ${deps.map(([n, v]) => `${n}@${v}`).join(', ')}`);
  }
  const test = scripts.test;
  return { lines, ...(test ? { testCommand: `npm test (${test})` } : {}) };
}

function record(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]),
  );
}

function requirements(text: string): Parts {
  return { lines: meaningful(text).filter((l) => !l.startsWith('-')) };
}

function goMod(text: string): Parts {
  return { lines: meaningful(text).filter((l) => !/^[()]$/.test(l)) };
}

const PYPROJECT_SECTIONS =
  /^\[(project|project\.optional-dependencies|project\.scripts|tool\.poetry|tool\.poetry\.(dev-)?dependencies|tool\.pytest\.ini_options|build-system)\]$/;
const CARGO_SECTIONS = /^\[(package|lib|dependencies|dev-dependencies|\[bin\]|workspace)\]$/;

/** The lines of the TOML sections that say what the project is and depends on. */
function tomlSections(text: string, wanted: RegExp): Parts {
  const lines: string[] = [];
  let keep = false;
  for (const line of meaningful(text)) {
    if (line.startsWith('[')) {
      keep = wanted.test(line);
      if (keep) lines.push(line);
    } else if (keep) lines.push(`  ${line}`);
  }
  return { lines };
}

function meaningful(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !l.startsWith('//'));
}
