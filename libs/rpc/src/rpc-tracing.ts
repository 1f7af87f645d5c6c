// W3C trace context over RPC: a client span per call with its `traceparent` sent in the
// headers, and a server span per call whose parent is the caller's span. With no tracer
// provider registered (no OTLP endpoint) they pass every call straight through: nothing is
// added per call or per streamed message.
import { failSpan, tracer, tracingEnabled } from '@codeframe/runtime';
import type { Interceptor } from '@connectrpc/connect';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';

// Probes call these constantly: they are traced only inside a traced operation.
const PROBES = new Set(['grpc.health.v1.Health', 'codeframe.v1.WorkerService.Describe']);
const isProbe = (service: string, method: string) =>
  PROBES.has(service) || PROBES.has(`${service}.${method}`);

const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};
const headerSetter = {
  set: (carrier: Headers, key: string, value: string) => carrier.set(key, value),
};

const attributes = (service: string, method: string) => ({
  'rpc.system': 'grpc',
  'rpc.service': service,
  'rpc.method': method,
});

/** The client side: a CLIENT span around each call, its context in the request headers. */
export function rpcClientTracing(): Interceptor {
  return (next) => async (req) => {
    if (!tracingEnabled()) return next(req);
    const parent = context.active();
    if (isProbe(req.service.typeName, req.method.name) && !trace.getSpan(parent)) return next(req);
    const span = tracer().startSpan(
      `${req.service.typeName}/${req.method.name}`,
      { kind: SpanKind.CLIENT, attributes: attributes(req.service.typeName, req.method.name) },
      parent,
    );
    const ctx = trace.setSpan(parent, span);
    propagation.inject(ctx, req.header, headerSetter);
    return traced(span, ctx, () => next(req));
  };
}

/** The server side: a SERVER span around each call, the child of the caller's `traceparent`;
 * the handler (and a stream's every message) runs inside it. */
export function rpcServerTracing(): Interceptor {
  return (next) => async (req) => {
    if (!tracingEnabled()) return next(req);
    const remote = propagation.extract(ROOT_CONTEXT, req.header, headerGetter);
    if (isProbe(req.service.typeName, req.method.name) && !trace.getSpan(remote)) return next(req);
    const span = tracer().startSpan(
      `${req.service.typeName}/${req.method.name}`,
      { kind: SpanKind.SERVER, attributes: attributes(req.service.typeName, req.method.name) },
      remote,
    );
    return traced(span, trace.setSpan(remote, span), () => next(req));
  };
}

type Response = Awaited<ReturnType<ReturnType<Interceptor>>>;

/** Runs the call in `ctx` and ends the span when the call (or its response stream) ends. */
async function traced(span: Span, ctx: Context, call: () => Promise<Response>): Promise<Response> {
  let res: Response;
  try {
    res = await context.with(ctx, call);
  } catch (err) {
    failSpan(span, err);
    span.end();
    throw err;
  }
  if (!res.stream) {
    span.end();
    return res;
  }
  return { ...res, message: inContext(ctx, span, res.message) } as Response;
}

/** The stream's messages, each produced inside `ctx` (an async generator runs in the context
 * of whoever pulls it); the span ends with the stream. */
function inContext<T>(ctx: Context, span: Span, messages: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const it = messages[Symbol.asyncIterator]();
      let ended = false;
      const end = (err?: unknown) => {
        if (ended) return;
        ended = true;
        if (err !== undefined) failSpan(span, err);
        span.end();
      };
      return {
        async next() {
          try {
            const step = await context.with(ctx, () => it.next());
            if (step.done) end();
            return step;
          } catch (err) {
            end(err);
            throw err;
          }
        },
        async return(value?: unknown) {
          end();
          return (await context.with(ctx, () => it.return?.(value))) ?? { done: true, value };
        },
        async throw(err?: unknown) {
          end(err);
          if (it.throw) return context.with(ctx, () => it.throw!(err));
          throw err;
        },
      } as AsyncIterator<T>;
    },
  };
}
