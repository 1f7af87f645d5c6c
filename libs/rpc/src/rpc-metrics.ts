// RPC latency and counts by method and code, and the /metrics route every RPC server serves.
import { counter, histogram, renderMetrics, secondsSince } from '@codeframe/runtime';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';
import type { HttpRoute } from './rpc-server.js';

const calls = counter({
  name: 'codeframe_rpc_calls_total',
  help: 'RPCs handled, by method and code.',
  labelNames: ['method', 'code'],
});
const latency = histogram({
  name: 'codeframe_rpc_duration_seconds',
  help: 'RPC handling time (to the end of a stream), by method and code.',
  labelNames: ['method', 'code'],
  buckets: [0.005, 0.025, 0.1, 0.5, 2, 10, 60, 600],
});

/**
 * Counts every call. The method label is the descriptor's `Service/Method` of a routed call,
 * never the request path, so a client cannot create series.
 */
export function rpcMetrics(): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const method = `${req.service.typeName}/${req.method.name}`;
    const done = (code: string) => {
      calls.labels(method, code).inc();
      latency.labels(method, code).observe(secondsSince(start));
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        done('OK');
        return res;
      }
      const inner = res.message;
      return {
        ...res,
        message: (async function* () {
          let code = 'Canceled';
          try {
            yield* inner;
            code = 'OK';
          } catch (err) {
            code = codeOf(err);
            throw err;
          } finally {
            // A stream the client left early ends here too, as Canceled.
            done(code);
          }
        })(),
      };
    } catch (err) {
      done(codeOf(err));
      throw err;
    }
  };
}

function codeOf(err: unknown): string {
  return Code[ConnectError.from(err).code] ?? 'Unknown';
}

/** GET /metrics: the process registry in the Prometheus text format. */
export const metricsRoute: HttpRoute = {
  prefix: '/metrics',
  handle(req, res) {
    if (req.url !== '/metrics' && !req.url?.startsWith('/metrics?')) {
      reply(res, 404, 'text/plain', 'not found\n');
      return;
    }
    renderMetrics().then(
      ({ contentType, text }) => reply(res, 200, contentType, text),
      () => reply(res, 500, 'text/plain', 'metrics failed\n'),
    );
  },
};

function reply(
  res: Parameters<HttpRoute['handle']>[1],
  status: number,
  type: string,
  body: string,
) {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(body);
}
