// Where an import specifier leads inside the workspace: a workspace package (by name or by
// a relative path into its folder) and, when the workspace holds it, the source file.
import { posix } from 'node:path';
import type { Project } from './workspace-projects.js';

export interface Resolved {
  project: Project;
  /** The source file, when the specifier names one this workspace holds. */
  file?: string;
  /** The specifier is a relative path into another project's folder. */
  byPath: boolean;
}

export function resolveSpecifier(
  fromFile: string,
  specifier: string,
  projects: Project[],
): Resolved | undefined {
  if (specifier.startsWith('.')) {
    const path = posix.normalize(posix.join(posix.dirname(fromFile), specifier));
    const project = projects.find((p) => path === p.root || path.startsWith(`${p.root}/`));
    if (!project) return undefined;
    const from = projects.find((p) => fromFile.startsWith(`${p.root}/`));
    return { project, file: sourceFile(project, path), byPath: project !== from };
  }
  const project = projects.find((p) => specifier === p.name || specifier.startsWith(`${p.name}/`));
  if (!project) return undefined;
  const subpath = `.${specifier.slice(project.name.length)}`;
  return { project, file: project.sourceExports[subpath], byPath: false };
}

/** `./x.js` is written for `./x.ts`; a folder means its index.ts. */
function sourceFile(project: Project, path: string): string | undefined {
  const candidates = [path.replace(/\.js$/, '.ts'), path, `${path}.ts`, `${path}/index.ts`];
  return candidates.find((c) => project.files.some((f) => f.path === c));
}
