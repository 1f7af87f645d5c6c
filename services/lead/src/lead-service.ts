import { randomUUID } from 'node:crypto';
import type { EventHub, Orchestrator, ProjectRouter } from '@codeframe/orchestrator';
import {
  type Event,
  EventBatchSchema,
  EventSchema,
  encodingOf,
  type LeadService,
} from '@codeframe/proto';
import {
  BATCH_ITEMS,
  batchMessages,
  checkText,
  invalidArgument,
  notFound,
  preEncoded,
  wantsBinary,
} from '@codeframe/rpc';
import { type Store, StoreError } from '@codeframe/store';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';

const MAX_NAME_LENGTH = 200;

/** The project's name: as given, else the PRD's first Markdown heading, else "untitled". */
export function projectName(name: string, prd: string): string {
  const given = name.trim();
  if (given) return given;
  const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/m.exec(prd);
  return heading?.[1]?.trim() || 'untitled';
}

export interface LeadParts {
  store: Store;
  hub: EventHub;
  orchestrator: Orchestrator;
  /** With leads sharing a database: writes about a project another lead owns go there. */
  router?: ProjectRouter;
}

/** The event as the store encoded it: sent without being encoded again (pre-encoded.ts). */
function asStored(event: Event): Event {
  const bytes = encodingOf(event);
  return bytes ? preEncoded(EventSchema, bytes) : event;
}

// Required fields, lengths and ranges are rules in lead.proto, checked before a handler runs
// (libs/rpc request-validation.ts); control characters are refused here, with their position.
const id = (field: string, value: string) => checkText(field, value);

/** The public LeadService API over the store, the event hub and the orchestrator. */
export function leadService({
  store,
  hub,
  orchestrator,
  router,
}: LeadParts): ServiceImpl<typeof LeadService> {
  const project = async (projectId: string) => {
    const found = await store.getProject(id('project_id', projectId));
    if (!found) throw notFound('project', projectId);
    return orchestrator.repos.shown(found);
  };
  const task = async (taskId: string) => {
    const found = await store.getTask(id('task_id', taskId));
    if (!found) throw notFound('task', taskId);
    return found;
  };
  // Where a write about the project is made: undefined for here.
  const owner = (projectId: string, ctx: HandlerContext) => router?.route(projectId, ctx);
  return {
    async createProject(req) {
      // Everything is checked before anything is stored: a refused request leaves no row.
      checkText('prd', req.prd, { multiline: true });
      // A name taken from the PRD's heading is held to the rule on a given one (lead.proto).
      const name = checkText('name', projectName(req.name, req.prd));
      if (name.length > MAX_NAME_LENGTH) {
        throw invalidArgument(
          'name',
          `value length must be at most ${MAX_NAME_LENGTH} characters (the PRD's first heading): give a name`,
        );
      }
      const repo = await orchestrator.repos.admit(req.repoUrl);
      const id = randomUUID();
      const discard = repo.repoUrl ? undefined : await orchestrator.repos.createOwn(id, name);
      const created = await store
        .createProject({
          id,
          name,
          prd: req.prd,
          ...repo,
          budgetUsd: req.budgetUsd,
          maxConcurrency: req.maxConcurrency,
          review: req.review ?? orchestrator.review.byDefault,
        })
        .catch(async (err) => {
          await discard?.();
          // The store keeps each repository one project's (by its key): that is this field.
          if (repo.repoKey && err instanceof StoreError && err.code === 'conflict') {
            throw invalidArgument('repo_url', err.message);
          }
          throw err;
        });
      // The lead's own repository exists from the start, so its URL can be cloned at once.
      await orchestrator.repos.url(created);
      return { project: orchestrator.repos.shown(created) };
    },
    async getProject(req) {
      return { project: await project(req.projectId) };
    },
    async listProjects() {
      return { projects: (await store.listProjects()).map((p) => orchestrator.repos.shown(p)) };
    },
    async planProject(req, ctx) {
      await project(req.projectId);
      const to = await owner(req.projectId, ctx);
      if (to) return to.lead.planProject(req, to.options);
      return { tasks: await orchestrator.plan(req.projectId) };
    },
    async startProject(req, ctx) {
      await project(req.projectId);
      const to = await owner(req.projectId, ctx);
      if (to) return to.lead.startProject(req, to.options);
      return { project: await orchestrator.start(req.projectId) };
    },
    async pauseProject(req, ctx) {
      await project(req.projectId);
      const to = await owner(req.projectId, ctx);
      if (to) return to.lead.pauseProject(req, to.options);
      return { project: await orchestrator.pause(req.projectId) };
    },
    async resumeProject(req, ctx) {
      await project(req.projectId);
      const to = await owner(req.projectId, ctx);
      if (to) return to.lead.resumeProject(req, to.options);
      return { project: await orchestrator.resume(req.projectId) };
    },
    async setProjectBudget(req, ctx) {
      await project(req.projectId);
      const budgetUsd = req.budgetUsd;
      const to = await owner(req.projectId, ctx);
      if (to) return to.lead.setProjectBudget(req, to.options);
      const updated = await orchestrator.budget.set(req.projectId, budgetUsd);
      return { project: orchestrator.repos.shown(updated) };
    },
    async getProjectSnapshot(req) {
      // The seq is read first: every event after it is still to come, so a client that
      // applies events after it misses nothing. (An unknown project is NOT_FOUND here.)
      const seq = await store.lastSeq(id('project_id', req.projectId));
      return {
        seq,
        project: await project(req.projectId),
        tasks: await orchestrator.artifacts.fill(await store.listTasks(req.projectId)),
        blockers: await store.listBlockers(req.projectId, true),
      };
    },
    async listTasks(req) {
      await project(req.projectId);
      return { tasks: await orchestrator.artifacts.fill(await store.listTasks(req.projectId)) };
    },
    async getTask(req) {
      const [found] = await orchestrator.artifacts.fill([await task(req.taskId)]);
      return { task: found };
    },
    async cancelTask(req, ctx) {
      const to = await owner((await task(req.taskId)).projectId, ctx);
      if (to) return to.lead.cancelTask(req, to.options);
      return { task: await orchestrator.cancelTask(req.taskId) };
    },
    async retryTask(req, ctx) {
      const to = await owner((await task(req.taskId)).projectId, ctx);
      if (to) return to.lead.retryTask(req, to.options);
      return { task: await orchestrator.retryTask(req.taskId) };
    },
    async listBlockers(req) {
      await project(req.projectId);
      return { blockers: await store.listBlockers(req.projectId, req.includeResolved) };
    },
    async answerBlocker(req, ctx) {
      id('blocker_id', req.blockerId);
      checkText('answer', req.answer, { multiline: true });
      const blocker = await store.getBlocker(req.blockerId);
      if (!blocker) throw notFound('blocker', req.blockerId);
      const to = await owner(blocker.projectId, ctx);
      if (to) return to.lead.answerBlocker(req, to.options);
      return { blocker: await orchestrator.answerBlocker(req.blockerId, req.answer) };
    },
    async *watchEvents(req, ctx) {
      await project(req.projectId);
      // Sent as the store encoded them, unless the client asked for JSON.
      const send = wantsBinary(ctx.requestHeader.get('content-type')) ? asStored : undefined;
      yield* hub.watch(req.projectId, req.afterSeq, ctx.signal, send);
    },
    async *watchEventBatches(req, ctx) {
      await project(req.projectId);
      const binary = wantsBinary(ctx.requestHeader.get('content-type'));
      for await (const events of hub.watchBatches(
        req.projectId,
        req.afterSeq,
        ctx.signal,
        BATCH_ITEMS,
      )) {
        yield* batchMessages(EventBatchSchema, events, binary);
      }
    },
    async getArtifact(req) {
      const artifactId = id('artifact_id', req.artifactId);
      const { task, content } = await orchestrator.artifacts.read(artifactId, (taskId) =>
        store.getTask(taskId),
      );
      return {
        artifactId,
        projectId: task.projectId,
        taskId: task.id,
        mediaType: 'image/png',
        content,
      };
    },
  };
}
