import { env, tlsServerSettings } from '@codeframe/runtime';
import { AUTH_TOKEN_VARIABLE } from './bearer-token.js';
import { ALLOWED_HOSTS_VARIABLE } from './host-names.js';

/** The environment variable of the largest request message a server reads. */
export const MAX_MESSAGE_BYTES_VARIABLE = 'CODEFRAME_MAX_MESSAGE_BYTES';

/** 8 MiB: a PRD's limit (1 MiB) with room for a task's context and its answers. */
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/** The settings every RPC server reads; a service adds its own to these. */
export function serverSettings(defaultPort: number) {
  return {
    host: env.string('HOST', '127.0.0.1'),
    port: env.port('PORT', defaultPort),
    authToken: env.optional(AUTH_TOKEN_VARIABLE),
    shutdownGraceMs: env.int('CODEFRAME_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    allowedHosts: env.list(ALLOWED_HOSTS_VARIABLE),
    maxMessageBytes: env.int(
      MAX_MESSAGE_BYTES_VARIABLE,
      DEFAULT_MAX_MESSAGE_BYTES,
      1024,
      1024 * 1024 * 1024,
    ),
    ...tlsServerSettings,
  };
}
