import { grantAllows, toBrowserProject, toBrowserSnapshot } from '@codeframe/events';
import type { LeadClient } from '@codeframe/rpc';
import { type EdgeAuth, requestToken } from './edge-auth.js';
import type { HandlerGuard } from './handler-guard.js';
import type { HttpReply } from './http-reply.js';
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

  // A task's artifact (a browser check's screenshot), from the lead's GetArtifact, for the
  // task drawer's link; only for a token that grants the artifact's project.
  app.get(
    '/api/artifacts/:task/:file',
    guard.http('artifact', async (reply, req) => {
      const token = tokenOf(req);
      const artifactId = `${req.getParameter(0) ?? ''}/${req.getParameter(1) ?? ''}`;
      const grant = await auth.grantFor(token);
      const artifact = await lead.getArtifact({ artifactId });
      if (!grantAllows(grant, artifact.projectId)) {
        reply.json(
          '403 Forbidden',
          { error: `your token does not grant this artifact's project` },
          NO_STORE,
        );
        return;
      }
      reply.send('200 OK', Buffer.from(artifact.content), {
        // The image as an image, never sniffed into anything else.
        'content-type':
          artifact.mediaType === 'image/png' ? 'image/png' : 'application/octet-stream',
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none'; sandbox",
        'cache-control': 'private, max-age=3600',
      });
    }),
  );
}
