import { createSecureContext } from 'node:tls';
import { ConfigError, env, loadConfig, type PemFile } from './config.js';

// TLS of every CodeFRAME port and of every client of one (RPC clients and git over the
// lead's URL). Unset, servers speak cleartext and clients trust the system roots.

/** What a server reads: its certificate and key, and the CA of the client certificates it
 * requires (mutual TLS) when CODEFRAME_TLS_CLIENT_CA is set. */
export const tlsServerSettings = {
  tlsCert: env.pemFile('CODEFRAME_TLS_CERT'),
  tlsKey: env.pemFile('CODEFRAME_TLS_KEY'),
  tlsClientCa: env.pemFile('CODEFRAME_TLS_CLIENT_CA'),
};

/** What a client reads: the CA it verifies servers with (instead of the system roots), and
 * the certificate it shows a server that requires one. */
export const tlsClientSettings = {
  tlsCa: env.pemFile('CODEFRAME_TLS_CA'),
  tlsClientCert: env.pemFile('CODEFRAME_TLS_CLIENT_CERT'),
  tlsClientKey: env.pemFile('CODEFRAME_TLS_CLIENT_KEY'),
};

/** Whether TLS is configured here: a certificate of its own, a CA, or a client certificate.
 * Then a peer given as a bare host:port is reached over https, and plain http is refused. */
export function tlsConfigured(
  values: Values<typeof tlsServerSettings & typeof tlsClientSettings> = loadConfig({
    ...tlsServerSettings,
    ...tlsClientSettings,
  }),
): boolean {
  return Boolean(values.tlsCert || values.tlsCa || values.tlsClientCert);
}

export interface ServerTls {
  cert: PemFile;
  key: PemFile;
  clientCa?: PemFile;
}

export interface ClientTls {
  ca?: PemFile;
  cert?: PemFile;
  key?: PemFile;
}

type Values<S> = { [K in keyof S]: PemFile | undefined };

/** The server's TLS, or undefined for cleartext; a half-given or mismatched pair is a ConfigError. */
export function serverTls(values: Values<typeof tlsServerSettings>): ServerTls | undefined {
  const { tlsCert: cert, tlsKey: key, tlsClientCa: clientCa } = values;
  if (!cert && !key) {
    if (clientCa) {
      throw new ConfigError(
        'CODEFRAME_TLS_CLIENT_CA',
        'CODEFRAME_TLS_CLIENT_CA is set but CODEFRAME_TLS_CERT and CODEFRAME_TLS_KEY are not: client certificates need TLS',
      );
    }
    return undefined;
  }
  checkPair('CODEFRAME_TLS_CERT', cert, 'CODEFRAME_TLS_KEY', key);
  if (clientCa) checkCa('CODEFRAME_TLS_CLIENT_CA', clientCa);
  return { cert: cert!, key: key!, ...(clientCa ? { clientCa } : {}) };
}

/** The client's TLS settings (from the environment unless given), checked. */
export function clientTls(
  values: Values<typeof tlsClientSettings> = loadConfig(tlsClientSettings),
): ClientTls {
  const { tlsCa: ca, tlsClientCert: cert, tlsClientKey: key } = values;
  if (ca) checkCa('CODEFRAME_TLS_CA', ca);
  if (cert || key) checkPair('CODEFRAME_TLS_CLIENT_CERT', cert, 'CODEFRAME_TLS_CLIENT_KEY', key);
  return { ...(ca ? { ca } : {}), ...(cert && key ? { cert, key } : {}) };
}

function checkPair(
  certVariable: string,
  cert: PemFile | undefined,
  keyVariable: string,
  key: PemFile | undefined,
): void {
  if (!cert || !key) {
    const [set, unset] = cert ? [certVariable, keyVariable] : [keyVariable, certVariable];
    throw new ConfigError(unset, `${set} is set but ${unset} is not: give both or neither`);
  }
  try {
    createSecureContext({ cert: cert.pem, key: key.pem });
  } catch (err) {
    throw new ConfigError(
      `${certVariable},${keyVariable}`,
      `${keyVariable} (${key.path}) is not the key of ${certVariable} (${cert.path}), or one of them is not valid PEM: ${(err as Error).message}`,
    );
  }
}

function checkCa(variable: string, ca: PemFile): void {
  try {
    createSecureContext({ ca: ca.pem });
  } catch (err) {
    throw new ConfigError(
      variable,
      `${variable} (${ca.path}) holds no valid CA certificate: ${(err as Error).message}`,
    );
  }
}
