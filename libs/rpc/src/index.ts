export { AUTH_TOKEN_VARIABLE, bearerAuth } from './auth-interceptor.js';
export { callLogger, callLogging, idsOf } from './call-logging.js';
export { invalidArgument, notFound } from './errors.js';
export { HealthStatus, healthService, ServingStatus } from './health.js';
export {
  createRpcClient,
  createRpcTransport,
  isSafeToRetry,
  type RpcClientOptions,
} from './rpc-client.js';
export { type RpcServer, type RpcServerOptions, startRpcServer } from './rpc-server.js';
export { serverSettings } from './server-settings.js';
