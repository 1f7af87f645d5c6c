// The built entries a project's tests start: every entry named by code its specs reach
// through imports, into other packages too (testkit's startCluster names the lead's and the
// workers' entries). A re-export is followed only for the names asked of it, so importing
// runToExit from testkit's index doesn't count the cluster it also exports. A spec that
// runs the project's own entry reaches the code behind it (src/main.ts for dist/main.js).
import { resolveSpecifier } from './module-resolution.js';
import type { Project, SourceFile } from './workspace-projects.js';

export interface StartedEntry {
  /** As the code names it, a `${…}` part read as `*`. */
  entry: string;
  /** The file that names it. */
  namedIn: string;
  /** The project's own file the walk began at. */
  reachedFrom: string;
}

type Wanted = Set<string> | 'all';

export function startedEntries(project: Project, projects: Project[]): StartedEntry[] {
  const files = new Map(projects.flatMap((p) => p.files.map((f) => [f.path, f] as const)));
  const found = new Map<string, StartedEntry>();
  const seen = new Set<string>();
  const walk = (file: SourceFile, wanted: Wanted, root: string): void => {
    const key = `${file.path}|${wanted === 'all' ? '*' : [...wanted].sort().join(',')}`;
    if (seen.has(key)) return;
    seen.add(key);
    for (const entry of file.references.entries) {
      if (!found.has(entry)) found.set(entry, { entry, namedIn: file.path, reachedFrom: root });
      const own = ownSource(project, entry);
      const next = own && files.get(own);
      if (next) walk(next, 'all', root);
    }
    for (const module of file.references.modules) {
      const names = followedNames(module.names, module.exportedAs, wanted);
      const target = names && resolveSpecifier(file.path, module.specifier, projects)?.file;
      const next = target && files.get(target);
      if (next && names) walk(next, names, root);
    }
  };
  for (const file of project.files.filter((f) => f.test)) walk(file, 'all', file.path);
  return [...found.values()];
}

/** The names to ask of an imported module, or undefined when the file doesn't use it. */
function followedNames(
  names: string[],
  exportedAs: string[] | undefined,
  wanted: Wanted,
): Wanted | undefined {
  if (!exportedAs || wanted === 'all') return names.includes('*') ? 'all' : new Set(names);
  const asked = names.filter((_, i) => exportedAs[i] === '*' || wanted.has(exportedAs[i]!));
  if (asked.length === 0) return undefined;
  return asked.includes('*') ? wanted : new Set(asked);
}

/** The source behind one of the project's own built entries: dist/x.js ← src/x.ts. */
function ownSource(project: Project, entry: string): string | undefined {
  const prefix = `${project.root}/dist/`;
  if (!entry.startsWith(prefix) || entry.includes('*')) return undefined;
  return `${project.root}/src/${entry.slice(prefix.length).replace(/\.js$/, '.ts')}`;
}

/** The projects an entry can be (a `*` in it matches any folder name). */
export function entryProjects(entry: string, projects: Project[]): Project[] {
  const folder = entry.split('/').slice(0, 2).join('/');
  const pattern = new RegExp(
    `^${folder
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^/]+')}$`,
  );
  return projects.filter((p) => pattern.test(p.root));
}
