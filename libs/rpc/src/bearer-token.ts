import { createHash, timingSafeEqual } from 'node:crypto';

/** The environment variable that carries the shared bearer token. */
export const AUTH_TOKEN_VARIABLE = 'CODEFRAME_AUTH_TOKEN';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The rule for `authorization: Bearer <token>`: returns why a request's authorization header
 * is refused, or undefined when it carries the token.
 */
export function bearerCheck(
  token: string,
): (authorization: string | undefined) => string | undefined {
  const expected = digest(token);
  return (header) => {
    if (!header) {
      return `missing bearer token: this service requires "authorization: Bearer <token>" with the ${AUTH_TOKEN_VARIABLE} it was started with`;
    }
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match || !timingSafeEqual(digest(match[1] ?? ''), expected)) {
      return `invalid bearer token: it does not match the ${AUTH_TOKEN_VARIABLE} this service was started with`;
    }
    return undefined;
  };
}
