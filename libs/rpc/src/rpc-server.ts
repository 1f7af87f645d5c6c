import type http from 'node:http';
import type http2 from 'node:http2';
import type { DescService } from '@bufbuild/protobuf';
import { Health } from '@codeframe/proto';
import type { Logger, ServerTls } from '@codeframe/runtime';
import { Code, ConnectError, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { AUTH_TOKEN_VARIABLE } from './bearer-token.js';
import { callLogging } from './call-logging.js';
import { DualProtocolListener } from './dual-protocol-listener.js';
import { encodeGrpcMessagesPerSpec } from './grpc-message-encoding.js';
import { HealthStatus, healthService } from './health.js';
import { InFlight } from './in-flight.js';
import { rpcNodeHandler } from './node-handler.js';
import { registerReflection } from './reflection.js';
import { refuse } from './refusal.js';
import { requestGate } from './request-gate.js';
import { requestValidation } from './request-validation.js';
import { metricsRoute, rpcMetrics } from './rpc-metrics.js';
import { rpcServerTracing } from './rpc-tracing.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './server-settings.js';

export interface RpcServerOptions {
  host: string;
  /** 0 picks a free port; `RpcServer.port` tells which. */
  port: number;
  logger: Logger;
  /** The services this server implements, reported by the health service. */
  services: readonly DescService[];
  routes: (router: ConnectRouter) => void;
  /** Bearer token every call must carry; undefined turns authentication off. */
  authToken: string | undefined;
  /** How long a shutdown lets running calls finish before it cancels them. */
  shutdownGraceMs: number;
  /** The service's own interceptors, run inside call logging, which turns errors into replies. */
  interceptors?: Interceptor[];
  /**
   * Host names (with `Host` or `:authority`) served besides loopback names, IP addresses
   * and `host`; `*` serves any. See host-names.ts.
   */
  allowedHosts?: readonly string[];
  /** The largest request message read (default 8 MiB); a larger one is RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
  /** Plain HTTP handlers beside the RPCs, by path prefix (the lead's git endpoint). The host
   * name is checked as for every request; authentication and limits are the handler's. */
  httpRoutes?: readonly HttpRoute[];
  /** Serves TLS (HTTP/2 and HTTP/1.1 by ALPN) instead of cleartext: `serverTls(config)`. */
  tls?: ServerTls | undefined;
}

/** A plain HTTP handler served on the RPC port for the paths under `prefix`. */
export interface HttpRoute {
  /** E.g. `/git/`; never a path of an RPC (those start with a package name). */
  prefix: string;
  handle(
    req: http.IncomingMessage | http2.Http2ServerRequest,
    res: http.ServerResponse | http2.Http2ServerResponse,
  ): void;
}

export interface RpcServer {
  readonly host: string;
  readonly port: number;
  /** Base URL for clients, e.g. http://127.0.0.1:7100 (https:// under TLS) */
  readonly url: string;
  readonly health: HealthStatus;
  /**
   * Graceful shutdown: health goes NOT_SERVING, no new connections or calls are accepted,
   * running calls get up to `shutdownGraceMs` to finish, then are cancelled with
   * UNAVAILABLE.
   */
  close(): Promise<void>;
}

/**
 * Serves the routes over gRPC, gRPC-Web and Connect on one port (HTTP/2 and HTTP/1.1,
 * cleartext or TLS), with grpc.health.v1, grpc.reflection (v1 and v1alpha), call logging
 * and optional bearer authentication.
 * A request's host name, token and declared size are checked from its headers, before a
 * byte of its body is read; its messages are read up to `maxMessageBytes`.
 */
export async function startRpcServer(options: RpcServerOptions): Promise<RpcServer> {
  const { logger } = options;
  const health = new HealthStatus(options.services.map((s) => s.typeName));
  const shutdown = new AbortController();
  if (!options.authToken && options.services.length > 0) {
    logger.warn(
      `authentication is off: ${AUTH_TOKEN_VARIABLE} is not set, so any client that reaches this port can call it`,
    );
  }
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const gate = requestGate({
    listenHost: options.host,
    allowedHosts: options.allowedHosts ?? [],
    authToken: options.authToken,
    maxMessageBytes,
  });
  const handler = rpcNodeHandler({
    routes(router) {
      options.routes(router);
      router.service(Health, healthService(health));
      registerReflection(router, [...options.services, Health]);
    },
    // Tracing outermost: call logging's lines (and the metrics' timing) are inside the call's span.
    interceptors: [
      rpcServerTracing(),
      rpcMetrics(),
      callLogging(logger),
      // Inside call logging, which replies with its INVALID_ARGUMENT; before every handler.
      requestValidation(),
      ...(options.interceptors ?? []),
    ],
    shutdownSignal: shutdown.signal,
    // Responses are not limited: they are the server's own data (a listing of every
    // project carries every PRD), and the client chooses what it reads.
    readMaxBytes: maxMessageBytes,
    logger,
  });
  const inFlight = new InFlight();
  const listener = new DualProtocolListener((req, res) => {
    inFlight.track(res);
    encodeGrpcMessagesPerSpec(res as Parameters<typeof encodeGrpcMessagesPerSpec>[0]);
    // /metrics is open like the health check: counts only, no ids (docs/metrics.md).
    const routes = [metricsRoute, ...(options.httpRoutes ?? [])];
    const route = routes.find((r) => (req.url ?? '').startsWith(r.prefix));
    const refusal = gate(req, route !== undefined);
    if (refusal) {
      logger.warn({ path: req.url, code: Code[refusal.code] }, refusal.message);
      refuse(req, res, refusal);
      return;
    }
    if (route) route.handle(req, res);
    else handler(req, res);
  }, options.tls);

  let address: { port: number };
  try {
    address = await listener.listen(options.port, options.host);
  } catch (err) {
    throw listenError(err, options.host, options.port);
  }
  const scheme = options.tls ? 'https' : 'http';
  const url = `${scheme}://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`;

  let closing: Promise<void> | undefined;
  const close = async () => {
    health.shutdown();
    listener.stopAccepting();
    const drained = await inFlight.idle(options.shutdownGraceMs);
    if (!drained) {
      logger.warn(
        { calls: inFlight.count, graceMs: options.shutdownGraceMs },
        'calls still running after the shutdown grace period: cancelling them',
      );
      shutdown.abort(new ConnectError('the server is shutting down', Code.Unavailable));
      await inFlight.idle(1000);
    }
    await listener.closeConnections(1000);
  };

  return {
    host: options.host,
    port: address.port,
    url,
    health,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

function listenError(err: unknown, host: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return new Error(
      `cannot listen on ${host}:${port}: the port is in use (set PORT to a free port, or 0 for any)`,
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new Error(`cannot listen on ${host}:${port}: HOST is not an address of this machine`);
  }
  return err as Error;
}
