import { grantAllows, toBrowserProject, toBrowserSnapshot } from '@codeframe/events';
import { type EdgeAuth, requestToken } from './edge-auth.js';
import type { HandlerGuard } from './handler-guard.js';
import type { HttpReply } from './http-reply.js';
import type { LeadClient } from './lead-client.js';
import { projectIdFromPath } from './project-id.js';
import type { UWS } from './uws.js';

export interface HttpApiOptions {
  lead: LeadClient;
  auth: EdgeAuth;
  guard: HandlerGuard;
}

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * The JSON API the dashboard loads before it subscribes: the projects a token may see, and
 * a snapshot of one (project, tasks, blockers, and the seq the snapshot is at). The token
 * is checked before anything else of the request is parsed.
 */
export function routeHttpApi(app: UWS.TemplatedApp, options: HttpApiOptions): void {
  const { lead, auth, guard } = options;

  const tokenOf = (req: UWS.HttpRequest) =>
    requestToken({
      query: req.getQuery() ?? '',
      authorization: req.getHeader('authorization'),
      protocols: '',
    });
  const ok = (reply: HttpReply, body: unknown) => reply.json('200 OK', body, NO_STORE);

  app.get(
    '/api/projects',
    guard.http('list projects', async (reply, req) => {
      const grant = await auth.grantFor(tokenOf(req));
      const { projects } = await lead.listProjects({});
      const visible = projects.filter((p) => grantAllows(grant, p.id));
      ok(reply, { projects: visible.map(toBrowserProject) });
    }),
  );

  app.get(
    '/api/projects/:id/snapshot',
    guard.http('project snapshot', async (reply, req) => {
      const token = tokenOf(req);
      const rawId = req.getParameter(0) ?? '';
      const grant = await auth.grantFor(token);
      const projectId = projectIdFromPath(rawId);
      if (!grantAllows(grant, projectId)) {
        reply.json(
          '403 Forbidden',
          { error: `your token does not grant project ${projectId}` },
          NO_STORE,
        );
        return;
      }
      ok(reply, toBrowserSnapshot(await lead.getProjectSnapshot({ projectId })));
    }),
  );
}
