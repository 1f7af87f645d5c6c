import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { EdgeTokenError, grantAllows, signEdgeToken, verifyEdgeToken } from './edge-token.js';

const SECRET = 'a-secret-of-some-length';

describe('edge tokens', () => {
  it('round-trips a grant of some projects, or of all', async () => {
    const some = await verifyEdgeToken(
      SECRET,
      await signEdgeToken(SECRET, { subject: 'ada', projects: ['p1', 'p2'], expiresIn: '1h' }),
    );
    expect(some).toMatchObject({ subject: 'ada', projects: ['p1', 'p2'] });
    expect(some.expiresAt).toBeGreaterThan(Date.now() / 1000);
    expect(grantAllows(some, 'p2')).toBe(true);
    expect(grantAllows(some, 'p3')).toBe(false);
    const all = await verifyEdgeToken(
      SECRET,
      await signEdgeToken(SECRET, { subject: 'ops', projects: '*' }),
    );
    expect(all.projects).toBe('*');
    expect(grantAllows(all, 'anything')).toBe(true);
  });

  it('says what is wrong with a bad token', async () => {
    const other = await signEdgeToken('another-secret', { subject: 'x', projects: '*' });
    await expect(verifyEdgeToken(SECRET, other)).rejects.toThrow(
      /not valid \(ERR_JWS_SIGNATURE_VERIFICATION_FAILED\)/,
    );
    await expect(verifyEdgeToken(SECRET, 'garbage')).rejects.toBeInstanceOf(EdgeTokenError);
    const expired = await signEdgeToken(SECRET, { subject: 'x', projects: '*', expiresIn: '-10s' });
    await expect(verifyEdgeToken(SECRET, expired)).rejects.toThrow('the token has expired');
    const key = new TextEncoder().encode(SECRET);
    const noProjects = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .sign(key);
    await expect(verifyEdgeToken(SECRET, noProjects)).rejects.toThrow(/no "projects" claim/);
    const noSubject = await new SignJWT({ projects: ['*'] })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(key);
    await expect(verifyEdgeToken(SECRET, noSubject)).rejects.toThrow(/no "sub" claim/);
  });
});
