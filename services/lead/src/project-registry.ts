import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { type Project, ProjectSchema, ProjectStatus } from '@codeframe/proto';

export interface NewProject {
  name: string;
  prd: string;
  repoUrl: string;
  budgetUsd: number;
  maxConcurrency: number;
}

/**
 * Projects held in memory. The lead-orchestrator issue replaces this with the durable
 * Store (SQLite / PostgreSQL); until then projects live as long as the process.
 */
export class ProjectRegistry {
  readonly #projects = new Map<string, Project>();

  create(input: NewProject): Project {
    const now = timestampNow();
    const project = create(ProjectSchema, {
      ...input,
      id: randomUUID(),
      status: ProjectStatus.CREATED,
      createdAt: now,
      updatedAt: now,
    });
    this.#projects.set(project.id, project);
    return project;
  }

  get(id: string): Project | undefined {
    return this.#projects.get(id);
  }

  /** Oldest first. */
  list(): Project[] {
    return [...this.#projects.values()];
  }
}
