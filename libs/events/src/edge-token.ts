// Tokens browsers present to the edge: HS256 JWTs whose `projects` claim lists the project
// ids the bearer may watch ("*" for all). Signed by whoever hands out dashboard links (the
// launcher, or your own login service) with the secret the edge is configured with.
import { errors, jwtVerify, SignJWT } from 'jose';

export interface EdgeGrant {
  /** Who the token was issued to (`sub`). */
  subject: string;
  /** Project ids the token grants, or "*" for every project. */
  projects: readonly string[] | '*';
  /** Seconds since the epoch when the token expires, if it does. */
  expiresAt?: number;
}

export class EdgeTokenError extends Error {
  override name = 'EdgeTokenError';
}

const ALGORITHM = 'HS256';
const encoder = new TextEncoder();

export async function signEdgeToken(
  secret: string,
  grant: {
    subject: string;
    projects: readonly string[] | '*';
    /** A duration such as "8h" or "30m"; no expiry when omitted. */
    expiresIn?: string;
  },
): Promise<string> {
  const jwt = new SignJWT({ projects: grant.projects === '*' ? ['*'] : [...grant.projects] })
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(grant.subject)
    .setIssuedAt();
  if (grant.expiresIn !== undefined) jwt.setExpirationTime(grant.expiresIn);
  return jwt.sign(encoder.encode(secret));
}

/** The grant of a valid token; an EdgeTokenError saying what is wrong otherwise. */
export async function verifyEdgeToken(secret: string, token: string): Promise<EdgeGrant> {
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
  try {
    ({ payload } = await jwtVerify(token, encoder.encode(secret), { algorithms: [ALGORITHM] }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new EdgeTokenError('the token has expired');
    if (error instanceof errors.JOSEError) {
      throw new EdgeTokenError(`the token is not valid (${error.code})`);
    }
    throw error;
  }
  const { sub, projects, exp } = payload;
  if (typeof sub !== 'string' || sub === '') {
    throw new EdgeTokenError('the token has no "sub" claim');
  }
  if (!Array.isArray(projects) || !projects.every((p) => typeof p === 'string')) {
    throw new EdgeTokenError('the token has no "projects" claim (a list of project ids)');
  }
  return {
    subject: sub,
    projects: projects.includes('*') ? '*' : projects,
    ...(exp !== undefined ? { expiresAt: exp } : {}),
  };
}

export function grantAllows(grant: EdgeGrant, projectId: string): boolean {
  return grant.projects === '*' || grant.projects.includes(projectId);
}
