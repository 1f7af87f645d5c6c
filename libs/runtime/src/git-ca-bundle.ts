import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { PemFile } from './config.js';

// git takes one CA file (GIT_SSL_CAINFO), which replaces the system roots. With
// CODEFRAME_TLS_CA set, git must trust both: the lead's repositories are signed by our CA,
// a project's GitHub remote by a public one. So git is given a bundle of the two, written
// once per CA and process into a directory of this process's own (mkdtemp, mode 0700): a
// file at a name others can predict in the shared temporary directory could be planted
// first by another user, with a CA of theirs.

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

const written = new Map<string, string>();

/** The path of a bundle holding the system roots and `ca`. */
export function gitCaBundle(ca: PemFile): string {
  const ours = ca.pem.toString();
  const key = createHash('sha256').update(ours).digest('hex');
  let path = written.get(key);
  if (!path) {
    path = join(mkdtempSync(join(tmpdir(), 'codeframe-git-ca-')), 'ca-bundle.pem');
    writeFileSync(path, `${systemRoots().trimEnd()}\n${ours.trimEnd()}\n`, { mode: 0o600 });
    written.set(key, path);
  }
  return path;
}
