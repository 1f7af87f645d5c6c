// The rules the workspace keeps, each broken one named by file and reference:
// - the layers (layer-rule.ts), in what a package.json declares and in what a file imports;
// - another package is imported by its name, never by a relative path into its folder;
// - every workspace package a file imports is declared in its package.json, in
//   dependencies when built code imports it, and package.json declares no other;
// - every other project whose built entry the tests start is a dependency in the Nx graph
//   (nx.implicitDependencies, or the test target's dependsOn where an edge would close a
//   cycle), so a change there reruns the tests and `nx affected` finds them.
import { layerProblem } from './layer-rule.js';
import { resolveSpecifier } from './module-resolution.js';
import { entryProjects, startedEntries } from './started-entries.js';
import type { Project } from './workspace-projects.js';

export interface Violation {
  /** The file that breaks the rule, relative to the workspace root. */
  file: string;
  /** What in it does: an import specifier, a dependency, an entry. */
  reference: string;
  problem: string;
}

export function findViolations(projects: Project[]): Violation[] {
  return projects.flatMap((project) => [
    ...manifestViolations(project, projects),
    ...importViolations(project, projects),
    ...entryViolations(project, projects),
  ]);
}

export const formatViolation = (v: Violation): string => `${v.file}: ${v.reference}: ${v.problem}`;

function manifestViolations(project: Project, projects: Project[]): Violation[] {
  const imported = new Set(
    project.files.flatMap((f) =>
      f.references.modules.map((m) => resolveSpecifier(f.path, m.specifier, projects)?.project),
    ),
  );
  const fields = [
    ['dependencies', project.dependencies, false],
    ['devDependencies', project.devDependencies, true],
  ] as const;
  return fields.flatMap(([field, names, test]) =>
    names.flatMap((name) => {
      const to = projects.find((p) => p.name === name);
      if (!to) return [];
      const problem =
        layerProblem(project, to, test) ??
        (imported.has(to)
          ? undefined
          : 'no file imports it; a project whose entry is only started belongs in "nx": { "implicitDependencies" }');
      return problem
        ? [{ file: `${project.root}/package.json`, reference: `${field} "${name}"`, problem }]
        : [];
    }),
  );
}

function importViolations(project: Project, projects: Project[]): Violation[] {
  return project.files.flatMap((file) =>
    file.references.modules.flatMap(({ specifier }) => {
      const resolved = resolveSpecifier(file.path, specifier, projects);
      if (!resolved || resolved.project === project) return [];
      const to = resolved.project;
      const reference = `imports '${specifier}'`;
      const problems = [
        resolved.byPath &&
          `a relative path into ${to.root}; import "${to.name}" and declare it in ${project.root}/package.json`,
        layerProblem(project, to, file.test),
        declarationProblem(project, to.name, file.test),
      ].filter((p): p is string => typeof p === 'string');
      return problems.map((problem) => ({ file: file.path, reference, problem }));
    }),
  );
}

function declarationProblem(project: Project, name: string, test: boolean): string | undefined {
  if (project.dependencies.includes(name)) return undefined;
  if (project.devDependencies.includes(name)) {
    return test
      ? undefined
      : `built code imports it, but ${project.root}/package.json lists it only in devDependencies; move it to dependencies`;
  }
  return `${project.root}/package.json does not declare it; add "${name}" to ${test ? 'devDependencies' : 'dependencies'}`;
}

function entryViolations(project: Project, projects: Project[]): Violation[] {
  const declared = new Set([
    ...project.dependencies,
    ...project.devDependencies,
    ...project.nxDependencies,
  ]);
  return startedEntries(project, projects).flatMap(({ entry, namedIn, reachedFrom }) =>
    entryProjects(entry, projects)
      .filter((p) => p !== project && !declared.has(p.name))
      .map((p) => ({
        file: reachedFrom,
        reference: `starts ${entry}${namedIn === reachedFrom ? '' : ` (named in ${namedIn})`}`,
        problem: `${p.name} is not a dependency of ${project.name} in the Nx graph, so its changes neither rerun these tests nor make them affected; add it to "nx": { "implicitDependencies" } in ${project.root}/package.json`,
      })),
  );
}
