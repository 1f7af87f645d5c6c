// Throwaway certificates for TLS tests, made with openssl in a directory: a CA, a server
// certificate for localhost and 127.0.0.1 signed by it, a client certificate signed by it,
// and a second CA that signed nothing here (a client trusting it must be refused).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A CA that signed neither certificate. */
  otherCa: string;
}

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

function makeCa(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl([
    'req',
    '-x509',
    '-new',
    '-key',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
  ]);
  return { cert, key };
}

function makeSigned(
  dir: string,
  name: string,
  ca: { cert: string; key: string },
  extensions: string,
): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, extensions);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
  openssl(['req', '-new', '-key', key, '-out', csr, '-subj', `/CN=${name}`]);
  openssl(
    ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial'].concat([
      '-out',
      cert,
      '-days',
      '2',
      '-extfile',
      ext,
    ]),
  );
  return { cert, key };
}

/** Makes the certificates in `dir` (which must exist) and returns their paths. */
export function makeTestCerts(dir: string): TestCerts {
  const ca = makeCa(dir, 'ca');
  const other = makeCa(dir, 'other-ca');
  const server = makeSigned(
    dir,
    'server',
    ca,
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  const client = makeSigned(dir, 'client', ca, 'extendedKeyUsage=clientAuth\n');
  return {
    ca: ca.cert,
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
    otherCa: other.cert,
  };
}
