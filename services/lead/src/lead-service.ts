import type { LeadService } from '@codeframe/proto';
import { invalidArgument, notFound } from '@codeframe/rpc';
import type { Store } from '@codeframe/store';
import type { ServiceImpl } from '@connectrpc/connect';

const MAX_NAME_LENGTH = 200;

/** The project's name: as given, else the PRD's first Markdown heading, else "untitled". */
export function projectName(name: string, prd: string): string {
  const given = name.trim();
  if (given) return given;
  const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/m.exec(prd);
  return heading?.[1]?.trim() || 'untitled';
}

/**
 * The LeadService API over the store. Planning, scheduling, tasks, blockers and events are
 * still to be wired (lead-orchestrator issue); until then those methods answer
 * UNIMPLEMENTED.
 */
export function leadService(store: Store): Partial<ServiceImpl<typeof LeadService>> {
  return {
    async createProject(req) {
      if (!req.prd.trim()) throw invalidArgument('prd', 'required: the product spec, in Markdown');
      const name = projectName(req.name, req.prd);
      if (name.length > MAX_NAME_LENGTH) {
        throw invalidArgument('name', `longer than ${MAX_NAME_LENGTH} characters`);
      }
      if (!Number.isFinite(req.budgetUsd) || req.budgetUsd < 0) {
        throw invalidArgument('budget_usd', 'must be 0 (no budget) or a positive amount of USD');
      }
      if (req.maxConcurrency < 0) {
        throw invalidArgument('max_concurrency', "must be 0 (the lead's default) or positive");
      }
      const project = await store.createProject({
        name,
        prd: req.prd,
        repoUrl: req.repoUrl.trim(),
        budgetUsd: req.budgetUsd,
        maxConcurrency: req.maxConcurrency,
      });
      return { project };
    },
    async getProject(req) {
      if (!req.projectId) throw invalidArgument('project_id', 'required');
      const project = await store.getProject(req.projectId);
      if (!project) throw notFound('project', req.projectId);
      return { project };
    },
    async listProjects() {
      return { projects: await store.listProjects() };
    },
  };
}
