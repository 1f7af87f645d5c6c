import type { Project, Task } from '@codeframe/proto';
import { GitFailure, type Logger } from '@codeframe/runtime';
import type { RepoAccess } from './project-repos.js';
import {
  buildRepoMap,
  EXPORT_LINE,
  mapIndex,
  type RepoMap,
  renderRepoMap,
  taskRepoMap,
} from './repo-map.js';
import { fetchMain, type RepoSnapshot, RepoSnapshotError } from './repo-snapshot.js';
import { grepTree, listTree, readBlob } from './repo-tree.js';

/** The map's size for the planner when CODEFRAME_REPO_MAP_TOKENS is not set. */
export const DEFAULT_REPO_MAP_TOKENS = 8_000;

/** The map of main of a repository, or undefined when main is missing or empty. */
export async function mapRepository(
  dataDir: string,
  repo: RepoAccess,
  signal?: AbortSignal,
): Promise<RepoMap | undefined> {
  const snapshot = await fetchMain(dataDir, repo, signal);
  return snapshot && mapSnapshot(snapshot);
}

async function mapSnapshot({ gitDir, sha }: RepoSnapshot): Promise<RepoMap | undefined> {
  const entries = await listTree(gitDir, sha);
  if (entries.length === 0) return undefined;
  return buildRepoMap(sha, entries, {
    read: (e) => readBlob(gitDir, e.object),
    exportLines: (paths) => grepTree(gitDir, sha, EXPORT_LINE, paths),
  });
}

export interface RepoMapsOptions {
  dataDir: string;
  logger: Logger;
  repoAccess: (project: Project) => Promise<RepoAccess>;
  /** The planner's map; a task gets half. 0: no maps. */
  tokens: number;
}

/**
 * The maps of the projects that start from an existing repository (CreateProject with a
 * repo_url): the whole map for the planner, the part a task needs for its request, of main
 * as it is then. A repository that cannot be read is logged and planned without a map.
 */
export class RepoMaps {
  readonly #last = new Map<string, RepoMap>();

  constructor(private readonly o: RepoMapsOptions) {}

  /** For the planner: the map's text and what it holds, to check the plan's files against. */
  async forPlanning(project: Project) {
    const map = await this.#map(project);
    return map && { text: renderRepoMap(map, this.o.tokens), index: mapIndex(map) };
  }

  /** For a task's request: the part of the map its title, description and criteria name. */
  async forTask(project: Project, task: Task): Promise<string> {
    const map = await this.#map(project);
    if (!map) return '';
    const text = [task.title, task.description, ...task.acceptanceCriteria].join('\n');
    return taskRepoMap(map, text, Math.floor(this.o.tokens / 2));
  }

  async #map(project: Project): Promise<RepoMap | undefined> {
    if (!project.repoUrl || this.o.tokens <= 0) return undefined;
    try {
      const snapshot = await fetchMain(this.o.dataDir, await this.o.repoAccess(project));
      if (!snapshot) return undefined;
      // Kept by commit, so dispatches on an unchanged main share one map.
      const last = this.#last.get(project.id);
      if (last?.sha === snapshot.sha) return last;
      const map = await mapSnapshot(snapshot);
      if (map) this.#last.set(project.id, map);
      return map;
    } catch (err) {
      if (!(err instanceof RepoSnapshotError) && !(err instanceof GitFailure)) throw err;
      this.o.logger.warn({ err, projectId: project.id }, 'could not map the repository');
      return undefined;
    }
  }
}
