import type { DescMethodUnary, DescService } from '@bufbuild/protobuf';
import { MethodOptions_IdempotencyLevel as Idempotency } from '@bufbuild/protobuf/wkt';
import { backoffDelay, type ClientTls, clientTls, sleep } from '@codeframe/runtime';
import {
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { rpcClientTracing } from './rpc-tracing.js';

export interface RpcClientOptions {
  /** e.g. http://127.0.0.1:7100 */
  baseUrl: string;
  /** Sent as `authorization: Bearer <token>` when set. */
  token?: string;
  /** gRPC over HTTP/2 (default), or the Connect protocol over HTTP/1.1. */
  protocol?: 'grpc' | 'connect';
  /** Deadline of a unary call that sets none; streams get no default deadline. */
  unaryTimeoutMs?: number;
  /** How many times a unary call is retried when that is safe (see isSafeToRetry). */
  maxRetries?: number;
  /** HTTP/2 keepalive: a PING after this much silence, so a dead peer is noticed. */
  pingIntervalMs?: number;
  /** For an https:// URL: the CA and client certificate; by default CODEFRAME_TLS_CA and
   * CODEFRAME_TLS_CLIENT_CERT/_KEY (`clientTls()`), the system roots when no CA is set. */
  tls?: ClientTls;
  /** For an https:// URL whose host is an address found for a DNS name: the name the
   * server's certificate is verified against (and sent as SNI) instead of the address. */
  servername?: string;
}

const DEFAULTS = { unaryTimeoutMs: 30_000, maxRetries: 2, pingIntervalMs: 15_000 };
/**
 * What responses a client accepts compressed: none. connect-node's clients accept gzip and
 * brotli by default, so every server of ours compressed each streamed batch of events past
 * 1 KiB (a worker's ExecuteTaskBatches, the lead's WatchEventBatches) and the client
 * inflated it again, on loopback or a LAN, where that costs both sides more CPU than the
 * bytes it saves. A client of another kind may still ask a server of ours for gzip.
 */
const ACCEPT_COMPRESSION = [] as const;
const RETRY_BACKOFF = { baseMs: 100, maxMs: 2_000 };

/** A typed client for one service of a CodeFRAME server. */
export function createRpcClient<S extends DescService>(
  service: S,
  options: RpcClientOptions,
): Client<S> {
  return createClient(service, createRpcTransport(options));
}

/** The transport behind createRpcClient, to share one connection among several clients. */
export function createRpcTransport(options: RpcClientOptions): Transport {
  const { token, protocol = 'grpc' } = options;
  const interceptors: Interceptor[] = [rpcClientTracing(), ...(token ? [bearer(token)] : [])];
  const nodeOptions = /^https:/i.test(options.baseUrl)
    ? {
        ...tlsOptions(options.tls ?? clientTls()),
        ...(options.servername ? { servername: options.servername } : {}),
      }
    : {};
  const inner =
    protocol === 'grpc'
      ? createGrpcTransport({
          baseUrl: options.baseUrl,
          interceptors,
          acceptCompression: [...ACCEPT_COMPRESSION],
          pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
          pingTimeoutMs: 10_000,
          nodeOptions,
        })
      : createConnectTransport({
          baseUrl: options.baseUrl,
          httpVersion: '1.1',
          interceptors,
          acceptCompression: [...ACCEPT_COMPRESSION],
          nodeOptions,
        });
  return withDeadlineAndRetries(inner, {
    unaryTimeoutMs: options.unaryTimeoutMs ?? DEFAULTS.unaryTimeoutMs,
    maxRetries: options.maxRetries ?? DEFAULTS.maxRetries,
  });
}

/** Node's TLS options: always verifying (whatever NODE_TLS_REJECT_UNAUTHORIZED says). */
function tlsOptions(tls: ClientTls) {
  return {
    rejectUnauthorized: true,
    ...(tls.ca ? { ca: tls.ca.pem } : {}),
    ...(tls.cert && tls.key ? { cert: tls.cert.pem, key: tls.key.pem } : {}),
  };
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set('authorization', `Bearer ${token}`);
    return next(req);
  };
}

/**
 * A retry is safe when the method has no side effects (marked idempotent in the proto) or
 * the request never reached the server (connection refused). Only UNAVAILABLE is retried.
 */
export function isSafeToRetry(method: DescMethodUnary, err: unknown): boolean {
  const error = ConnectError.from(err);
  if (error.code !== Code.Unavailable) return false;
  const idempotent =
    method.idempotency === Idempotency.NO_SIDE_EFFECTS ||
    method.idempotency === Idempotency.IDEMPOTENT;
  return idempotent || causeCodes(err).includes('ECONNREFUSED');
}

function causeCodes(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

function withDeadlineAndRetries(
  inner: Transport,
  policy: { unaryTimeoutMs: number; maxRetries: number },
): Transport {
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const deadline = Date.now() + (timeoutMs ?? policy.unaryTimeoutMs);
      for (let attempt = 1; ; attempt++) {
        const remaining = Math.max(1, deadline - Date.now());
        try {
          return await inner.unary(method, signal, remaining, header, input, contextValues);
        } catch (err) {
          const delay = backoffDelay(attempt, RETRY_BACKOFF);
          const retry =
            attempt <= policy.maxRetries &&
            isSafeToRetry(method, err) &&
            !signal?.aborted &&
            Date.now() + delay < deadline;
          if (!retry) throw err;
          await sleep(delay, signal);
        }
      }
    },
    // Streams are not retried here: their consumers resume (WatchEvents from a seq).
    stream: (method, signal, timeoutMs, header, input, contextValues) =>
      inner.stream(method, signal, timeoutMs, header, input, contextValues),
  };
}
