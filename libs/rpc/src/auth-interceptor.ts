import { createHash, timingSafeEqual } from 'node:crypto';
import { Code, ConnectError, type Interceptor } from '@connectrpc/connect';

/** The environment variable that carries the shared bearer token. */
export const AUTH_TOKEN_VARIABLE = 'CODEFRAME_AUTH_TOKEN';

// Health checks stay open so load balancers and orchestrators can probe without secrets.
const OPEN_SERVICES = new Set(['grpc.health.v1.Health']);

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Requires `authorization: Bearer <token>` on every call but health checks. */
export function bearerAuth(token: string): Interceptor {
  const expected = digest(token);
  return (next) => async (req) => {
    if (OPEN_SERVICES.has(req.service.typeName)) return next(req);
    const header = req.header.get('authorization');
    if (!header) {
      throw new ConnectError(
        `missing bearer token: this service requires "authorization: Bearer <token>" with the ${AUTH_TOKEN_VARIABLE} it was started with`,
        Code.Unauthenticated,
      );
    }
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1] ?? ''), expected)) {
      throw new ConnectError(
        `invalid bearer token: it does not match the ${AUTH_TOKEN_VARIABLE} this service was started with`,
        Code.Unauthenticated,
      );
    }
    return next(req);
  };
}
