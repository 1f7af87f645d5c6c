import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { PemFile } from './config.js';

// git takes one CA file (GIT_SSL_CAINFO), which replaces the system roots. With
// CODEFRAME_TLS_CA set, git must trust both: the lead's repositories are signed by our CA,
// a project's GitHub remote by a public one. So git is given a bundle of the two, written
// once per CA (named by its hash) in the temporary directory.

/** Where Debian, Alpine, Fedora and SUSE keep the system's CA bundle. */
const SYSTEM_BUNDLES = [
  '/etc/ssl/certs/ca-certificates.crt',
  '/etc/pki/tls/certs/ca-bundle.crt',
  '/etc/ssl/ca-bundle.pem',
];

/** The system's CA certificates as PEM (Node's own Mozilla roots where the system has none). */
function systemRoots(): string {
  const file = SYSTEM_BUNDLES.find((path) => existsSync(path));
  return file ? readFileSync(file, 'utf8') : rootCertificates.join('\n');
}

/** The path of a bundle holding the system roots and `ca`. */
export function gitCaBundle(ca: PemFile, dir = tmpdir()): string {
  const ours = ca.pem.toString();
  const roots = systemRoots();
  const hash = createHash('sha256').update(ours).update(roots).digest('hex').slice(0, 16);
  const path = join(dir, `codeframe-git-ca-${hash}.pem`);
  if (!existsSync(path)) {
    // Written whole under another name, then renamed: a concurrent git never reads half.
    const partial = `${path}.${process.pid}`;
    writeFileSync(partial, `${roots.trimEnd()}\n${ours.trimEnd()}\n`, { mode: 0o644 });
    renameSync(partial, path);
  }
  return path;
}
