// With CODEFRAME_TLS_CA, git trusts the system roots and our CA both (one bundle file).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { runGit } from './git-command.js';

const dir = mkdtempSync(join(tmpdir(), 'git-ca-'));
const ca = join(dir, 'ca.pem');
execFileSync('openssl', [
  ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
  ...['-keyout', join(dir, 'ca-key.pem'), '-out', ca, '-days', '1', '-subj', '/CN=our-ca'],
]);
const pemBody = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, '');

describe('git over https with CODEFRAME_TLS_CA', () => {
  const saved = process.env.CODEFRAME_TLS_CA;
  afterAll(() => {
    if (saved === undefined) delete process.env.CODEFRAME_TLS_CA;
    else process.env.CODEFRAME_TLS_CA = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives git a bundle of the system roots and our CA, not our CA alone', async () => {
    process.env.CODEFRAME_TLS_CA = ca;
    // git's own environment, as git sees it (an alias runs in it).
    const cainfo = (
      await runGit(['-c', 'alias.cainfo=!printenv GIT_SSL_CAINFO', 'cainfo'], { cwd: dir })
    ).trim();
    expect(cainfo).not.toBe(ca);
    const bundle = pemBody(readFileSync(cainfo, 'utf8'));
    expect(bundle).toContain(pemBody(readFileSync(ca, 'utf8')));
    const systemBundle = '/etc/ssl/certs/ca-certificates.crt';
    const aRoot = existsSync(systemBundle)
      ? readFileSync(systemBundle, 'utf8').split('-----END CERTIFICATE-----')[0]!
      : rootCertificates[0]!;
    expect(bundle).toContain(pemBody(aRoot));
    // Written once: the next run uses the same file.
    const again = await runGit(['-c', 'alias.cainfo=!printenv GIT_SSL_CAINFO', 'cainfo'], {
      cwd: dir,
    });
    expect(again.trim()).toBe(cainfo);
    // In a directory only this process can write to, never at a name another user could plant.
    expect(statSync(dirname(cainfo)).mode & 0o777).toBe(0o700);
    expect(dirname(cainfo)).not.toBe(tmpdir());
  });
});
