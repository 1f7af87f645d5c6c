import { type Logger, silentLogger } from '@codeframe/runtime';
import {
  Code,
  ConnectError,
  createContextKey,
  type HandlerContext,
  type Interceptor,
} from '@connectrpc/connect';
import { replyFor } from './error-replies.js';

const loggerKey = createContextKey<Logger>(silentLogger, { description: 'call logger' });

/** The logger of the call being handled: it carries the method and the project and task ids. */
export function callLogger(ctx: HandlerContext): Logger {
  return ctx.values.get(loggerKey);
}

// Probes call these constantly (health checks, the lead's capacity probe of its
// workers); their lines go to debug.
const QUIET = new Set(['grpc.health.v1.Health', 'codeframe.v1.WorkerService.Describe']);

type Ids = { projectId?: string; taskId?: string; blockerId?: string };

/** The project, task and blocker ids a request names, wherever the contracts put them. */
export function idsOf(message: unknown): Ids {
  // A stream without its request message has none (the framework refuses it afterwards).
  if (typeof message !== 'object' || message === null) return {};
  const m = message as Record<string, unknown> & { task?: { id?: unknown; projectId?: unknown } };
  const ids: Ids = {};
  const pick = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const projectId = pick(m.projectId) ?? pick(m.task?.projectId);
  const taskId = pick(m.taskId) ?? pick(m.task?.id);
  const blockerId = pick(m.blockerId);
  if (projectId) ids.projectId = projectId;
  if (taskId) ids.taskId = taskId;
  if (blockerId) ids.blockerId = blockerId;
  return ids;
}

/**
 * Gives each call a child logger (method plus the ids its request names) in its context,
 * logs how the call ended (code and duration, at the end of the stream for streams), and
 * turns whatever a call throws into its reply (see replyFor): no error escapes as anything
 * but a ConnectError.
 */
export function callLogging(root: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const quiet =
      QUIET.has(req.service.typeName) || QUIET.has(`${req.service.typeName}.${req.method.name}`);
    const level = quiet ? 'debug' : 'info';
    const rpc = `${req.service.name}/${req.method.name}`;
    let log = root.child({ rpc });
    const ended = (err?: unknown): ConnectError | undefined => {
      const ms = Math.round(performance.now() - started);
      if (err === undefined) {
        log[level]({ code: 'ok', ms }, 'call ended');
        return undefined;
      }
      const { error, errorId } = replyFor(err, req.signal, req.method.input.typeName);
      const fault = error.code === Code.Internal || error.code === Code.Unknown;
      log[fault ? 'error' : 'warn'](
        { code: Code[error.code], ms, errorId, err: fault ? err : undefined },
        errorId ? `${rpc} failed: ${(err as Error)?.message ?? String(err)}` : error.rawMessage,
      );
      return error;
    };
    try {
      let ids: Ids = {};
      if (!req.stream) {
        ids = idsOf(req.message);
      } else if (req.method.methodKind === 'server_streaming') {
        // A server-streaming call has exactly one request message: read it to learn its
        // ids. (Reading it parses it: a body that does not decode fails here.)
        const messages: unknown[] = [];
        for await (const message of req.message) messages.push(message);
        ids = idsOf(messages[0]);
        req = { ...req, message: replay(messages) as typeof req.message };
      }
      log = root.child({ rpc, ...ids });
      req.contextValues.set(loggerKey, log);
      const res = await next(req);
      if (!res.stream) {
        ended();
        return res;
      }
      return { ...res, message: observeEnd(res.message, ended) };
    } catch (err) {
      throw ended(err);
    }
  };
}

async function* replay<T>(messages: T[]): AsyncIterable<T> {
  yield* messages;
}

async function* observeEnd<T>(
  messages: AsyncIterable<T>,
  ended: (err?: unknown) => ConnectError | undefined,
): AsyncIterable<T> {
  let settled = false;
  try {
    yield* messages;
    settled = true;
    ended();
  } catch (err) {
    settled = true;
    throw ended(err);
  } finally {
    // The consumer stopped early: the client cancelled or went away.
    if (!settled) ended(new ConnectError('the client cancelled the call', Code.Canceled));
  }
}
