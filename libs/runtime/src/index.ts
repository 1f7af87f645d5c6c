export { type BackoffOptions, backoffDelay, sleep } from './backoff.js';
export {
  ConfigError,
  type Env,
  env,
  loadConfig,
  type PemFile,
  type Setting,
  type SettingValues,
} from './config.js';
export { firstControlCharacter, isControlCharacter } from './control-characters.js';
export { DEFAULT_PORTS, type DefaultPort } from './default-ports.js';
export { newErrorId } from './error-id.js';
export {
  GitFailure,
  type GitOptions,
  gitSettings,
  isPlainHttp,
  runGit,
  withoutCredentials,
} from './git-command.js';
export { type GitCredentials, splitCredentials, withCredentials } from './git-credentials.js';
export { serialised } from './keyed-lock.js';
export { createLogger, type Logger, logSettings, silentLogger } from './logger.js';
export { counter, gauge, histogram, renderMetrics, secondsSince } from './metrics.js';
export { packageVersion } from './package-version.js';
export {
  type LaunchedProcess,
  type LaunchOptions,
  launch,
  launcherSettings,
  OutputPipe,
  SPAWN_CHANNEL,
} from './process-launcher.js';
export { EXIT_CONFIG, type RunningService, runService } from './service-main.js';
export { missingNodeArgs, serviceNodeArgs } from './service-node-args.js';
export {
  type ClientTls,
  clientTls,
  type ServerTls,
  serverTls,
  tlsClientSettings,
  tlsConfigured,
  tlsServerSettings,
} from './tls-settings.js';
export {
  activeTraceIds,
  type DerivedTrace,
  derivedTrace,
  failSpan,
  inSpan,
  recordRootSpan,
  startTracing,
  type Tracing,
  traceHeaders,
  tracer,
  tracingEnabled,
  tracingSettings,
} from './tracing.js';
