import { type EdgeGrant, EdgeTokenError, verifyEdgeToken } from '@codeframe/events';

/** The subprotocol a browser offers, next to `bearer.<token>`, to carry its token. */
export const SUBPROTOCOL = 'codeframe.v1';
const BEARER_PROTOCOL = 'bearer.';
const OPEN_GRANT: EdgeGrant = { subject: 'anonymous', projects: '*' };

/**
 * Who may watch what. With a secret, every request needs a valid token; without one the
 * edge is open (for a single developer's machine) and says so in its log at start.
 */
export class EdgeAuth {
  constructor(private readonly secret: string | undefined) {}

  get enabled(): boolean {
    return this.secret !== undefined;
  }

  /**
   * What `token` grants: at once on an open edge, which has nothing to verify (so a socket
   * upgrade stays synchronous), else once the token is verified. Throws an EdgeTokenError,
   * or rejects with one, for a missing or invalid token.
   */
  grantFor(token: string | undefined): EdgeGrant | Promise<EdgeGrant> {
    if (this.secret === undefined) return OPEN_GRANT;
    if (!token) {
      throw new EdgeTokenError(
        'a token is required: pass ?token=<jwt>, an "Authorization: Bearer" header, or the subprotocol "bearer.<jwt>"',
      );
    }
    return verifyEdgeToken(this.secret, token);
  }
}

/** The token of a request: `?token=`, `Authorization: Bearer`, or a `bearer.` subprotocol. */
export function requestToken(request: {
  query: string;
  authorization: string;
  protocols: string;
}): string | undefined {
  const fromQuery = request.query && new URLSearchParams(request.query).get('token');
  if (fromQuery) return fromQuery;
  const bearer = request.authorization && /^Bearer\s+(\S+)$/i.exec(request.authorization);
  if (bearer) return bearer[1];
  return offeredProtocols(request.protocols)
    .find((p) => p.startsWith(BEARER_PROTOCOL))
    ?.slice(BEARER_PROTOCOL.length);
}

/** The subprotocol to accept: ours when offered; a client that offered only its token gets that back. */
export function chosenProtocol(protocols: string): string {
  const offered = offeredProtocols(protocols);
  return offered.includes(SUBPROTOCOL) ? SUBPROTOCOL : (offered[0] ?? '');
}

function offeredProtocols(header: string): string[] {
  if (header === '') return [];
  return header
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
