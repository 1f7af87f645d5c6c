import { env } from '@codeframe/runtime';
import { AUTH_TOKEN_VARIABLE } from './auth-interceptor.js';

/** The settings every RPC server reads; a service adds its own to these. */
export function serverSettings(defaultPort: number) {
  return {
    host: env.string('HOST', '127.0.0.1'),
    port: env.port('PORT', defaultPort),
    authToken: env.optional(AUTH_TOKEN_VARIABLE),
    shutdownGraceMs: env.int('CODEFRAME_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
  };
}
