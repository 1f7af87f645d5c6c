// Where the workers of a kind are: a static list of host:port, or DNS names whose every
// address is a replica (`dns:///worker-backend.example:7101`, gRPC's target syntax), looked
// up again and again so a Kubernetes headless service or any round robin adds and removes
// replicas without a restart of the lead.
import { lookup, Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ConfigError, type Setting } from '@codeframe/runtime';

/** One entry of CODEFRAME_WORKERS_<KIND>. */
export type WorkerTarget =
  | { kind: 'static'; address: string }
  | { kind: 'dns'; name: string; port: number; server?: string };

/** The addresses a name has now (A and AAAA). */
export type ResolveName = (name: string, server?: string) => Promise<string[]>;

/** A comma-separated list of `host:port`, `http://host:port` or `dns://[server]/name:port`. */
export function workerTargets(
  variable: string,
  fallback: readonly string[],
): Setting<WorkerTarget[]> {
  return {
    variable,
    read(raw) {
      const entries = (raw ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
      return (entries.length > 0 ? entries : fallback).map((entry) => parseTarget(variable, entry));
    },
  };
}

export function parseTarget(variable: string, entry: string): WorkerTarget {
  // dns:name:port, dns:///name:port, or dns://server/name:port
  const dns = /^dns:(?:\/\/([^/]*)\/|\/?)([^/]+)$/i.exec(entry);
  if (!dns) {
    if (/^dns:/i.test(entry)) throw invalid(variable, entry);
    return { kind: 'static', address: entry };
  }
  const [, server, hostPort] = dns as unknown as [string, string | undefined, string];
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(hostPort);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw invalid(variable, entry);
  const name = match[1]!.replace(/^\[|\]$/g, '');
  if (!server) return { kind: 'dns', name, port };
  // The DNS server as Node's resolver takes it: an address, with a port when not 53.
  if (!/^(\[[^\]]+\]|[\d.]+)(:\d{1,5})?$/.test(server)) throw invalid(variable, entry);
  return { kind: 'dns', name, port, server };
}

const invalid = (variable: string, entry: string) =>
  new ConfigError(
    variable,
    `${variable} has "${entry}", which is not host:port or dns:///name:port (gRPC's target syntax; dns://server:53/name:port asks that DNS server)`,
  );

/** getaddrinfo (so /etc/hosts counts) for the system's resolver, A and AAAA of a given server. */
export const resolveName: ResolveName = async (name, server) => {
  if (isIP(name)) return [name];
  if (!server) return (await lookup(name, { all: true })).map((a) => a.address);
  const resolver = new Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers([server]);
  const found = await Promise.allSettled([resolver.resolve4(name), resolver.resolve6(name)]);
  const addresses = found.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
  if (addresses.length === 0 && found.every((r) => r.status === 'rejected')) {
    throw (found[0] as PromiseRejectedResult).reason;
  }
  return addresses;
};

/**
 * The URL the lead calls a worker at. A bare host:port is https when TLS is configured here
 * (CODEFRAME_TLS_*), http otherwise; an explicit http:// with TLS configured is refused, for
 * the bearer token and the tasks would cross the network in cleartext.
 */
export function workerUrl(address: string, tls: boolean): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(address)) return `${tls ? 'https' : 'http'}://${address}`;
  if (tls && /^http:\/\//i.test(address)) {
    throw new ConfigError(
      'CODEFRAME_WORKERS',
      `the worker address ${address} is plain http but TLS is configured (CODEFRAME_TLS_*): write https:// or a bare host:port, which means https with TLS`,
    );
  }
  return address;
}

/** host:port of each address (IPv6 in brackets). */
export const addressOf = (ip: string, port: number) =>
  `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;

/** How a target is named in logs and errors. */
export const targetName = (target: WorkerTarget) =>
  target.kind === 'static'
    ? target.address
    : `dns://${target.server ?? ''}/${target.name}:${target.port}`;
