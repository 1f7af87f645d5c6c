export { AUTH_TOKEN_VARIABLE, bearerCheck } from './bearer-token.js';
export { callLogger, callLogging, idsOf } from './call-logging.js';
export { invalidArgument, notFound } from './errors.js';
export {
  type EventSource,
  type FollowEventsOptions,
  followEventBatches,
  followEvents,
} from './follow-events.js';
export { HealthStatus, healthService, ServingStatus } from './health.js';
export {
  ALLOWED_HOSTS_VARIABLE,
  configuredHostNames,
  type HostAndPort,
  hostName,
  hostNameRule,
  isLocalhostName,
  parseHost,
} from './host-names.js';
export { InFlight } from './in-flight.js';
export { createLeadClient, type LeadClient, type LeadClientOptions } from './lead-client.js';
export { BATCH_BYTES, BATCH_ITEMS, batchMessages, readyGroups } from './message-batches.js';
export { preEncoded, wantsBinary } from './pre-encoded.js';
export { keepingReceivedEncodings } from './received-encodings.js';
export { requestValidation } from './request-validation.js';
export { isRetryable, RESUME_BACKOFF } from './resume-policy.js';
export {
  createRpcClient,
  createRpcTransport,
  isSafeToRetry,
  type RpcClientOptions,
} from './rpc-client.js';
export {
  type HttpRoute,
  type RpcServer,
  type RpcServerOptions,
  startRpcServer,
} from './rpc-server.js';
export { rpcClientTracing, rpcServerTracing } from './rpc-tracing.js';
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  MAX_MESSAGE_BYTES_VARIABLE,
  serverSettings,
} from './server-settings.js';
export { checkText } from './text-fields.js';
