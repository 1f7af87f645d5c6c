// The workspace as the boundary rules see it: each npm workspace package with its layer
// (the folder it sits in), what its package.json declares, and the TypeScript it ships
// (src/, and web/src/ for a dashboard) and tests with (what tsconfig.spec.json includes).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { type FileReferences, readReferences } from './source-references.js';

export type Layer = 'lib' | 'service' | 'tool';

const LAYERS: Record<string, Layer> = { libs: 'lib', services: 'service', tools: 'tool' };

export interface SourceFile {
  /** Relative to the workspace root, with forward slashes. */
  path: string;
  /** Only tests compile it (tsconfig.spec.json includes it). */
  test: boolean;
  references: FileReferences;
}

export interface Project {
  name: string;
  /** Relative to the workspace root: `services/lead`. */
  root: string;
  layer: Layer;
  /** dependencies and peerDependencies. */
  dependencies: string[];
  devDependencies: string[];
  /** Projects the Nx config makes it depend on without an import: `implicitDependencies`
   * and the projects named in its test target's `dependsOn`. */
  nxDependencies: string[];
  /** Source module of each subpath export: `.` → `tools/testkit/src/index.ts`. */
  sourceExports: Record<string, string>;
  files: SourceFile[];
}

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  exports?: Record<string, unknown>;
  workspaces?: string[];
  nx?: NxConfig;
}

interface NxConfig {
  implicitDependencies?: string[];
  targets?: { test?: { dependsOn?: Array<string | { projects?: string | string[] }> } };
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

export function readWorkspace(workspaceRoot: string): Project[] {
  const { workspaces = [] } = readJson<Manifest>(join(workspaceRoot, 'package.json'));
  return workspaces.flatMap((pattern) => {
    const folder = pattern.match(/^(\w+)\/\*$/)?.[1];
    const layer = folder && LAYERS[folder];
    if (!folder || !layer) {
      throw new Error(
        `workspace pattern "${pattern}" in package.json is not libs/*, services/* or tools/*; give it a layer in tools/boundaries/src/workspace-projects.ts`,
      );
    }
    return readdirSync(join(workspaceRoot, folder))
      .filter((dir) => existsSync(join(workspaceRoot, folder, dir, 'package.json')))
      .map((dir) => readProject(workspaceRoot, `${folder}/${dir}`, layer));
  });
}

function readProject(workspaceRoot: string, root: string, layer: Layer): Project {
  const dir = join(workspaceRoot, root);
  const manifest = readJson<Manifest>(join(dir, 'package.json'));
  const nx = existsSync(join(dir, 'project.json'))
    ? readJson<NxConfig>(join(dir, 'project.json'))
    : (manifest.nx ?? {});
  const testFiles = specFiles(dir);
  const files = ['src', 'web/src'].flatMap((sub) =>
    typeScriptFiles(join(dir, sub)).map((file) => ({
      path: relative(workspaceRoot, file).split('\\').join('/'),
      test: testFiles.has(file),
      references: readReferences(file, readFileSync(file, 'utf8')),
    })),
  );
  return {
    name: manifest.name,
    root,
    layer,
    dependencies: Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }),
    devDependencies: Object.keys(manifest.devDependencies ?? {}),
    nxDependencies: [
      ...(nx.implicitDependencies ?? []).filter((name) => !name.startsWith('!')),
      ...(nx.targets?.test?.dependsOn ?? []).flatMap((d) =>
        typeof d === 'string' || !d.projects ? [] : [d.projects].flat(),
      ),
    ],
    sourceExports: sourceExports(root, manifest.exports),
    files,
  };
}

/** The files tsconfig.spec.json compiles: what counts as test code. */
function specFiles(dir: string): Set<string> {
  const path = join(dir, 'tsconfig.spec.json');
  if (!existsSync(path)) return new Set();
  const { config, error } = ts.readConfigFile(path, ts.sys.readFile);
  if (error)
    throw new Error(`${path}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  return new Set(ts.parseJsonConfigFileContent(config, ts.sys, dir).fileNames.map((f) => join(f)));
}

function typeScriptFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function sourceExports(root: string, exports: Manifest['exports']): Record<string, string> {
  const modules: Record<string, string> = {};
  for (const [subpath, target] of Object.entries(exports ?? {})) {
    const source = (target as Record<string, unknown> | null)?.['@codeframe/source'];
    if (typeof source === 'string') modules[subpath] = `${root}/${source.replace(/^\.\//, '')}`;
  }
  return modules;
}
