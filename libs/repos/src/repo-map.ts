import { CHARS_PER_TOKEN, estimateTokens } from '@codeframe/llm';
import { exportedNames, sourceLanguage } from './repo-exports.js';
import { MANIFEST_NAMES, type ManifestSummary, summariseManifest } from './repo-manifests.js';
import type { TreeEntry } from './repo-tree.js';

// A map of an existing repository for the planner and for each task: the tree (paths and
// sizes), the manifests, the test setup, and the main modules with their exported names,
// rendered within a token budget. Built from git's objects alone: files are read as text,
// never run; large and binary files are listed, never read; of the sources, only the lines
// that may export a name are read (one git grep), each up to 400 characters.

export interface ModuleExports {
  path: string;
  names: string[];
}

export interface RepoMap {
  /** The commit mapped. */
  sha: string;
  entries: TreeEntry[];
  manifests: ManifestSummary[];
  testFiles: string[];
  /** Test frameworks the manifests and files show. */
  frameworks: string[];
  modules: ModuleExports[];
}

/** How the map reads the commit: a blob's text, and the lines of files that may export. */
export interface RepoReader {
  read(entry: TreeEntry): Promise<string>;
  /** The lines of these files that match EXPORT_LINE, by path (binary files have none). */
  exportLines(paths: string[]): Promise<Map<string, string[]>>;
}

/** Files larger than this are listed, never read. */
export const READ_LIMIT_BYTES = 256 * 1024;
/** Lines that may export a name, in any language the map reads (a POSIX extended regex). */
export const EXPORT_LINE =
  '^[[:space:]]*(export|module\\.exports|exports\\.|def |async def |class |func |type |var |const |__all__).{0,400}';
const MAX_SOURCES = 2_000;
const MAX_MODULES = 300;
const MAX_MANIFESTS = 20;
const GENERATED =
  /(^|\/)(node_modules|vendor|dist|build|target|coverage|__pycache__|\.venv|venv|\.git)\//;
const TEST_FILE =
  /(^|\/)(tests?|__tests__|spec)\/|\.(test|spec)\.[cm]?[jt]sx?$|(^|\/)test_[^/]*\.py$|_test\.(py|go)$|(^|\/)conftest\.py$/;

const depth = (path: string) => path.split('/').length;
const byDepth = (a: TreeEntry, b: TreeEntry) =>
  depth(a.path) - depth(b.path) || (a.path < b.path ? -1 : 1);
const readable = (e: TreeEntry) =>
  e.kind === 'file' && e.size <= READ_LIMIT_BYTES && !GENERATED.test(e.path);

export async function buildRepoMap(
  sha: string,
  entries: TreeEntry[],
  reader: RepoReader,
): Promise<RepoMap> {
  const candidates = entries.filter(readable).sort(byDepth);
  const manifests: ManifestSummary[] = [];
  for (const entry of candidates) {
    if (manifests.length >= MAX_MANIFESTS) break;
    if (!MANIFEST_NAMES.has(entry.path.slice(entry.path.lastIndexOf('/') + 1))) continue;
    const text = await reader.read(entry);
    if (!text.includes('\0')) manifests.push(summariseManifest(entry.path, text));
  }
  const testFiles = entries
    .filter((e) => e.kind === 'file' && !GENERATED.test(e.path) && TEST_FILE.test(e.path))
    .map((e) => e.path);
  const sources = candidates
    .filter((e) => sourceLanguage(e.path) && !TEST_FILE.test(e.path))
    .slice(0, MAX_SOURCES);
  const lines = await reader.exportLines(sources.map((e) => e.path));
  const modules: ModuleExports[] = [];
  for (const { path } of sources) {
    if (modules.length >= MAX_MODULES) break;
    const found = lines.get(path);
    const names = found ? exportedNames(sourceLanguage(path)!, found.join('\n')) : [];
    if (names.length > 0) modules.push({ path, names });
  }
  const frameworks = new Set(manifests.flatMap((m) => m.frameworks));
  if (manifests.some((m) => m.testCommand?.includes('node --test'))) frameworks.add('node:test');
  if (testFiles.some((p) => p.endsWith('conftest.py'))) frameworks.add('pytest');
  if (testFiles.some((p) => p.endsWith('_test.go'))) frameworks.add('go test');
  return { sha, entries, manifests, testFiles, frameworks: [...frameworks], modules };
}

/** The files and directories of the map, to check the paths a plan names against. */
export function mapIndex(map: RepoMap): { files: Set<string>; dirs: Set<string> } {
  const files = new Set(map.entries.map((e) => e.path));
  const dirs = new Set<string>();
  for (const path of files) {
    for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) dirs.add(path.slice(0, i));
  }
  return { files, dirs };
}

/** The map as text within `budgetTokens` (estimated as the project estimates tokens). */
export function renderRepoMap(map: RepoMap, budgetTokens: number, header = mapHeader(map)): string {
  const total = budgetTokens * CHARS_PER_TOKEN;
  let left = total - header.length;
  const section = (title: string, lines: string[], share: number) => {
    const text = lines.length > 0 ? fit(`## ${title}`, lines, Math.min(left, total * share)) : '';
    left -= text.length + 2;
    return text;
  };
  const manifests = map.manifests.flatMap((m) => [
    `${shown(m.path)}:`,
    ...m.lines.map((l) => `  ${l}`),
  ]);
  const commands = new Set(map.manifests.flatMap((m) => (m.testCommand ? [m.testCommand] : [])));
  const tests = [
    ...[...commands].map((c) => `command: ${c}`),
    ...(map.frameworks.length > 0 ? [`frameworks: ${map.frameworks.join(', ')}`] : []),
    `test files (${map.testFiles.length}):`,
    ...map.testFiles.map((p) => `  ${shown(p)}`),
  ];
  const parts = [
    header,
    section('Manifests', manifests, 0.25),
    section('Tests', tests, 0.1),
    section(
      'Modules and their exported names',
      map.modules.map((m) => `${shown(m.path)}: ${m.names.join(', ')}`),
      0.3,
    ),
  ];
  // The tree takes what is left, summarising deep directories when all of it does not fit.
  parts.push(fit('## Tree (path, size)', treeLines(map.entries, left - 100), left));
  const text = parts.filter(Boolean).join('\n\n');
  // Each part is cut to its share; this only guards the sum.
  return estimateTokens(text) <= budgetTokens ? text : text.slice(0, total);
}

function mapHeader(map: RepoMap): string {
  const bytes = map.entries.reduce((sum, e) => sum + e.size, 0);
  return `Repository map of main at ${map.sha.slice(0, 12)}: ${map.entries.length} files, ${size(bytes)}. Read from git's objects, never run.`;
}

/**
 * The part of the map a task needs: the existing files its text names, their neighbours
 * (the other files of their directories) and related tests, with the manifests and the test
 * setup; the whole map, cut to the budget, when it names none.
 */
export function taskRepoMap(map: RepoMap, taskText: string, budgetTokens: number): string {
  const { files } = mapIndex(map);
  const named = [...new Set(pathsIn(taskText))].filter((p) => files.has(p));
  if (named.length === 0) return renderRepoMap(map, budgetTokens);
  const dirs = new Set(named.map(dirOf));
  const stems = named.map((p) => p.slice(p.lastIndexOf('/') + 1).replace(/\..*$/, ''));
  const related = (e: TreeEntry) =>
    named.includes(e.path) ||
    dirs.has(dirOf(e.path)) ||
    (TEST_FILE.test(e.path) && stems.some((s) => s && e.path.includes(s)));
  const entries = map.entries.filter(related);
  const kept = new Set(entries.map((e) => e.path));
  const part: RepoMap = { ...map, entries, modules: map.modules.filter((m) => kept.has(m.path)) };
  const header = `Repository map of main at ${map.sha.slice(0, 12)}, the part for this task: the files it names (${named.map(shown).join(', ')}), the others in their directories and their tests, with the manifests and the test setup (the whole repository has ${map.entries.length} files).`;
  return renderRepoMap(part, budgetTokens, header);
}

/** The path-like words of a text, as a plan or a task names files. */
export function pathsIn(text: string): string[] {
  return text
    .split(/[\s`'"()[\]{}<>,;]+/)
    .map((word) => word.replace(/^\.\//, '').replace(/[.:!?]+$/, ''))
    .filter((word) => word.length > 0 && word.length <= 1000);
}

const dirOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');

/** A path as it can be read on one line: quoted when it holds control characters or edges of space. */
function shown(path: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is looked for
  return /[\u0000-\u001f\u007f]|^\s|\s$/.test(path) ? JSON.stringify(path) : path;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function entryLine(e: TreeEntry): string {
  if (e.kind === 'submodule') return `${shown(e.path)}  (submodule)`;
  return `${shown(e.path)}  ${size(e.size)}${e.kind === 'symlink' ? ' (symlink)' : ''}`;
}

/** Every entry when they fit; else directories below a depth summarised (files, size). */
function treeLines(entries: TreeEntry[], maxChars: number): string[] {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : 1));
  const full = sorted.map(entryLine);
  if (length(full) <= maxChars) return full;
  for (let limit = 4; limit >= 1; limit--) {
    const lines: string[] = [];
    const summarised = new Map<string, { files: number; bytes: number }>();
    for (const e of sorted) {
      if (depth(e.path) <= limit) {
        lines.push(entryLine(e));
        continue;
      }
      const dir = e.path.split('/').slice(0, limit).join('/');
      const sum = summarised.get(dir) ?? { files: 0, bytes: 0 };
      if (sum.files === 0) lines.push(dir);
      summarised.set(dir, { files: sum.files + 1, bytes: sum.bytes + e.size });
    }
    const rendered = lines.map((line) => {
      const sum = summarised.get(line);
      return sum ? `${shown(line)}/  (${sum.files} files, ${size(sum.bytes)})` : line;
    });
    if (length(rendered) <= maxChars || limit === 1) return rendered;
  }
  return full;
}

const length = (lines: string[]) => lines.reduce((n, l) => n + l.length + 1, 0);

/** The title and as many lines as fit in `maxChars`, the rest counted. */
function fit(title: string, lines: string[], maxChars: number): string {
  const kept = [title];
  let used = title.length + 1;
  for (const [i, line] of lines.entries()) {
    const note = `[${lines.length - i} more left out: the map's budget is CODEFRAME_REPO_MAP_TOKENS]`;
    if (used + line.length + 1 + note.length + 1 > maxChars) {
      if (used + note.length + 1 <= maxChars) kept.push(note);
      break;
    }
    kept.push(line);
    used += line.length + 1;
  }
  return kept.length > 1 ? kept.join('\n') : '';
}
