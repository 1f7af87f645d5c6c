import {
  EdgeTokenError,
  grantAllows,
  toBrowserProject,
  toBrowserSnapshot,
} from '@codeframe/events';
import type { Logger } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';
import { type EdgeAuth, requestToken } from './edge-auth.js';
import type { EdgeMetrics } from './edge-metrics.js';
import { HttpReply } from './http-reply.js';
import type { LeadClient } from './lead-client.js';
import type { UWS } from './uws.js';

export interface HttpApiOptions {
  lead: LeadClient;
  auth: EdgeAuth;
  metrics: EdgeMetrics;
  logger: Logger;
}

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * The JSON API the dashboard loads before it subscribes: the projects a token may see, and
 * a snapshot of one (project, tasks, blockers, and the seq the snapshot is at).
 */
export function routeHttpApi(app: UWS.TemplatedApp, options: HttpApiOptions): void {
  const { lead, auth, metrics, logger } = options;

  const handle = (
    res: UWS.HttpResponse,
    req: UWS.HttpRequest,
    answer: (grant: Awaited<ReturnType<EdgeAuth['grantFor']>>) => Promise<[string, unknown]>,
  ) => {
    const reply = new HttpReply(res);
    const token = requestToken({
      query: req.getQuery() ?? '',
      authorization: req.getHeader('authorization'),
      protocols: '',
    });
    auth
      .grantFor(token)
      .then(answer, (error) => {
        if (!(error instanceof EdgeTokenError)) throw error;
        metrics.authFailures++;
        return ['401 Unauthorized', { error: error.message }] as [string, unknown];
      })
      .catch((error) => leadFailure(error, logger))
      .then(([status, body]) => reply.json(status, body, NO_STORE));
  };

  app.get('/api/projects', (res, req) =>
    handle(res, req, async (grant) => {
      const { projects } = await lead.listProjects({});
      const visible = projects.filter((p) => grantAllows(grant, p.id));
      return [
        '200 OK',
        {
          projects: visible.map(toBrowserProject),
        },
      ];
    }),
  );

  app.get('/api/projects/:id/snapshot', (res, req) => {
    const projectId = decodeURIComponent(req.getParameter(0) ?? '');
    handle(res, req, async (grant) => {
      if (!grantAllows(grant, projectId)) {
        return ['403 Forbidden', { error: `your token does not grant project ${projectId}` }];
      }
      const snapshot = await lead.getProjectSnapshot({ projectId });
      return ['200 OK', toBrowserSnapshot(snapshot)];
    });
  });
}

function leadFailure(error: unknown, logger: Logger): [string, unknown] {
  const e = ConnectError.from(error);
  switch (e.code) {
    case Code.NotFound:
      return ['404 Not Found', { error: e.rawMessage }];
    case Code.InvalidArgument:
      return ['400 Bad Request', { error: e.rawMessage }];
    default:
      logger.warn({ err: e }, 'lead call for the dashboard failed');
      return ['502 Bad Gateway', { error: `the lead did not answer: ${e.rawMessage}` }];
  }
}
