// A stand-in lead for the edge's hardening tests: a real LeadService server (the same
// bootstrap as the lead) holding projects in memory, whose events the test emits, and which
// counts the calls and open WatchEvents streams the edge makes.
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { type Event, EventSchema, LeadService, ProjectSchema } from '@codeframe/proto';
import { notFound, type RpcServer, startRpcServer } from '@codeframe/rpc';
import { silentLogger } from '@codeframe/runtime';
import { Code, ConnectError } from '@connectrpc/connect';

export interface FakeLead {
  readonly url: string;
  /** Calls by method name (`getProject`, `watchEvents`, …). */
  readonly calls: Map<string, number>;
  /** WatchEvents streams open right now, by project id. */
  readonly openStreams: Map<string, number>;
  createProject(projectId: string): void;
  /** Makes GetProject of this id hang until the caller gives up (a slow or stuck lead). */
  stall(projectId: string): void;
  /** Breaks the project's open WatchEvents streams with `error` (UNAVAILABLE by default). */
  drop(projectId: string, error?: ConnectError): void;
  /** Answers the project's WatchEvents calls from now on with `error`. */
  refuseWatch(projectId: string, error: ConnectError): void;
  /** Appends an activity_update to the project's log; resolves its seq. */
  emit(projectId: string, message?: string): number;
  close(): Promise<void>;
}

export async function startFakeLead(): Promise<FakeLead> {
  const logs = new Map<string, Event[]>();
  const wakers = new Map<string, Set<() => void>>();
  const calls = new Map<string, number>();
  const openStreams = new Map<string, number>();
  const stalled = new Set<string>();
  const refusals = new Map<string, ConnectError>();
  const droppers = new Map<string, Set<(error: ConnectError) => void>>();
  const wakeAll = (projectId: string) => {
    for (const wake of [...(wakers.get(projectId) ?? [])]) wake();
  };
  const count = (method: string) => calls.set(method, (calls.get(method) ?? 0) + 1);
  const logOf = (projectId: string) => {
    const log = logs.get(projectId);
    if (!log) throw notFound('project', projectId);
    return log;
  };
  const project = (projectId: string) =>
    create(ProjectSchema, {
      id: projectId,
      name: projectId,
      lastSeq: BigInt(logOf(projectId).length),
    });

  const server: RpcServer = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    services: [LeadService],
    authToken: undefined,
    shutdownGraceMs: 200,
    routes: (router) =>
      router.service(LeadService, {
        async getProject(req, ctx) {
          count('getProject');
          if (stalled.has(req.projectId)) {
            await new Promise((resolve) =>
              ctx.signal.addEventListener('abort', resolve, { once: true }),
            );
          }
          return { project: project(req.projectId) };
        },
        listProjects() {
          count('listProjects');
          return { projects: [...logs.keys()].map(project) };
        },
        getProjectSnapshot(req) {
          count('getProjectSnapshot');
          const p = project(req.projectId);
          return { project: p, seq: p.lastSeq };
        },
        async *watchEvents(req, ctx) {
          count('watchEvents');
          const log = logOf(req.projectId);
          const id = req.projectId;
          const refusal = refusals.get(id);
          if (refusal) throw refusal;
          let dropped: ConnectError | undefined;
          const drop = (error: ConnectError) => {
            dropped = error;
          };
          const drops = droppers.get(id) ?? new Set();
          droppers.set(id, drops.add(drop));
          openStreams.set(id, (openStreams.get(id) ?? 0) + 1);
          try {
            let next = Number(req.afterSeq);
            while (!ctx.signal.aborted) {
              while (next < log.length && !dropped) yield log[next++]!;
              if (dropped) throw dropped;
              await new Promise<void>((resolve) => {
                const set = wakers.get(id) ?? new Set();
                wakers.set(id, set);
                const wake = () => {
                  set.delete(wake);
                  resolve();
                };
                set.add(wake);
                ctx.signal.addEventListener('abort', wake, { once: true });
              });
            }
          } finally {
            drops.delete(drop);
            openStreams.set(id, (openStreams.get(id) ?? 1) - 1);
          }
        },
      }),
  });

  return {
    url: server.url,
    calls,
    openStreams,
    createProject(projectId) {
      logs.set(projectId, []);
    },
    stall(projectId) {
      stalled.add(projectId);
    },
    drop(projectId, error = new ConnectError('the lead dropped the stream', Code.Unavailable)) {
      for (const drop of droppers.get(projectId) ?? []) drop(error);
      wakeAll(projectId);
    },
    refuseWatch(projectId, error) {
      refusals.set(projectId, error);
    },
    emit(projectId, message = 'working') {
      const log = logOf(projectId);
      const seq = log.length + 1;
      log.push(
        create(EventSchema, {
          projectId,
          seq: BigInt(seq),
          time: timestampNow(),
          payload: {
            case: 'activityUpdate',
            value: { taskId: 'task-1', message, tool: 'edit_file' },
          },
        }),
      );
      wakeAll(projectId);
      return seq;
    },
    close: () => server.close(),
  };
}
