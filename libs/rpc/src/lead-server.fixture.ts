// A lead-shaped server for the specs of followEvents: one project whose event log the test
// appends to, and a WatchEvents (and, when asked, a WatchEventBatches) whose calls follow a
// script (drop, end, skip or repeat).
import { create } from '@bufbuild/protobuf';
import { type Event, EventSchema, LeadService } from '@codeframe/proto';
import type { ConnectError } from '@connectrpc/connect';
import { afterEach } from 'vitest';
import { type RpcServer, startRpcServer } from './index.js';
import { memoryLogger } from './rpc-server.fixture.js';

export const PROJECT = 'project-1';

/** What one WatchEvents call does; a call with no script left sends everything and waits. */
export interface WatchScript {
  /** How many events it sends before `after`; all it has when unset. */
  count?: number;
  /** Starts this many seqs before the request's after_seq: sends events the client has. */
  rewind?: number;
  /** Leaves this seq out. */
  skip?: bigint;
  /** After the events: fail with this error, end the stream, or wait for more (the default). */
  after?: ConnectError | 'end' | 'wait';
}

export interface ScriptedLead {
  readonly url: string;
  readonly port: number;
  /** The after_seq of each WatchEvents call, in order. */
  readonly requests: bigint[];
  /** WatchEvents calls still running. */
  readonly open: () => number;
  script(...calls: WatchScript[]): void;
  /** Appends `count` events to the project's log. */
  emit(count: number): void;
  close(): Promise<void>;
}

const servers: RpcServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Starts the lead; with `port`, on that port (a lead restarting where it was). */
export async function startScriptedLead(
  options: {
    port?: number;
    authToken?: string;
    log?: Event[];
    /** Serves WatchEventBatches, with at most this many events a message. */
    batch?: number;
  } = {},
): Promise<ScriptedLead> {
  const log = options.log ?? [];
  const scripts: WatchScript[] = [];
  const requests: bigint[] = [];
  const wakers = new Set<() => void>();
  let open = 0;
  const server = await startRpcServer({
    host: '127.0.0.1',
    port: options.port ?? 0,
    logger: memoryLogger().logger,
    services: [LeadService],
    authToken: options.authToken,
    shutdownGraceMs: 100,
    routes: (router) => {
      /** One call's events, in groups of at most `size` of those the log has. */
      async function* call(
        req: { afterSeq: bigint },
        ctx: { signal: AbortSignal },
        size: number,
      ): AsyncGenerator<Event[]> {
        requests.push(req.afterSeq);
        const { count, rewind = 0, skip, after = 'wait' } = scripts.shift() ?? {};
        open++;
        try {
          let next = Math.max(0, Number(req.afterSeq) - rewind);
          let group: Event[] = [];
          for (let sent = 0; count === undefined || sent < count; ) {
            if (next < log.length && group.length < size) {
              const event = log[next++]!;
              if (event.seq === skip) continue;
              group.push(event);
              sent++;
              continue;
            }
            if (group.length > 0) {
              yield group;
              group = [];
            } else if (after === 'wait' || count !== undefined) {
              await new Promise<void>((resolve) => {
                wakers.add(resolve);
                ctx.signal.addEventListener('abort', () => resolve(), { once: true });
              });
              if (ctx.signal.aborted) return;
            } else break;
          }
          if (group.length > 0) yield group;
          if (after === 'wait') {
            await new Promise((resolve) =>
              ctx.signal.addEventListener('abort', resolve, { once: true }),
            );
          } else if (after !== 'end') throw after;
        } finally {
          open--;
        }
      }
      router.service(LeadService, {
        async *watchEvents(req, ctx) {
          for await (const [event] of call(req, ctx, 1)) yield event!;
        },
        // A lead of before WatchEventBatches answers it UNIMPLEMENTED.
        ...(options.batch === undefined
          ? {}
          : {
              async *watchEventBatches(req, ctx) {
                for await (const events of call(req, ctx, options.batch!)) yield { events };
              },
            }),
      });
    },
  });
  servers.push(server);
  return {
    url: server.url,
    port: server.port,
    requests,
    open: () => open,
    script: (...calls) => scripts.push(...calls),
    emit(count) {
      for (let i = 0; i < count; i++) {
        const seq = BigInt(log.length + 1);
        log.push(
          create(EventSchema, {
            projectId: PROJECT,
            seq,
            payload: { case: 'activityUpdate', value: { taskId: 't', message: `event ${seq}` } },
          }),
        );
      }
      for (const wake of [...wakers]) wake();
      wakers.clear();
    },
    close: () => server.close(),
  };
}
