// A stand-in for the lead in the fan-out benchmark: a real LeadService (connect-node, the
// same server bootstrap as the lead) whose projects stream stamped events on command, so
// the broadcasters under test are fed at a rate the bench controls and the lead's own
// costs (SQLite, scheduling) stay out of the fan-out figures. It serves WatchEvents and
// WatchEventBatches, as the lead does.
import { create } from '@bufbuild/protobuf';
import { EventBatchSchema, LeadService, ProjectSchema, ProjectStatus } from '@codeframe/proto';
import {
  batchMessages,
  notFound,
  type RpcServer,
  readyGroups,
  startRpcServer,
  wantsBinary,
} from '@codeframe/rpc';
import { silentLogger } from '@codeframe/runtime';
import { serveRequests } from '../harness/bench-child.js';
import { EventSource } from './event-source.js';

const projects = new Map<string, EventSource>();
let server: RpcServer | undefined;

function source(projectId: string): EventSource {
  const found = projects.get(projectId);
  if (!found) throw notFound('project', projectId);
  return found;
}

serveRequests(
  {
    async listen() {
      server = await startRpcServer({
        host: '127.0.0.1',
        port: 0,
        logger: silentLogger,
        services: [LeadService],
        authToken: undefined,
        shutdownGraceMs: 500,
        routes: (router) =>
          router.service(LeadService, {
            getProject(req) {
              const s = source(req.projectId);
              return {
                project: create(ProjectSchema, {
                  id: s.projectId,
                  name: s.projectId,
                  status: ProjectStatus.RUNNING,
                  lastSeq: BigInt(s.head),
                }),
              };
            },
            async *watchEvents(req, ctx) {
              yield* source(req.projectId).watch(Number(req.afterSeq), ctx.signal);
            },
            // The same events grouped as they are ready, as the lead serves them (followEvents
            // reads this, in the edge and in the broadcasters alike).
            async *watchEventBatches(req, ctx) {
              const binary = wantsBinary(ctx.requestHeader.get('content-type'));
              const events = source(req.projectId).watch(Number(req.afterSeq), ctx.signal);
              for await (const group of readyGroups(events)) {
                yield* batchMessages(EventBatchSchema, group, binary);
              }
            },
          }),
      });
      return { url: server.url };
    },
    createProject(args: { projectId: string }) {
      projects.set(args.projectId, new EventSource(args.projectId));
      return true;
    },
    burst: (args: { projectId: string; seconds: number }) =>
      source(args.projectId).burst(args.seconds),
    rate: (args: { projectId: string; perSecond: number; count: number }) =>
      source(args.projectId).rate(args.perSecond, args.count),
  },
  () => server?.close(),
);
