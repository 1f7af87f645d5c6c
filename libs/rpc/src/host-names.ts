import { isIP } from 'node:net';

/** The environment variable that extends the host names a server answers to. */
export const ALLOWED_HOSTS_VARIABLE = 'CODEFRAME_ALLOWED_HOSTS';

const WILDCARD_ADDRESSES = new Set(['', '0.0.0.0', '::', '[::]', '*']);

/** What a Host header names: its host, lower-cased, and its port when it has one. */
export interface HostAndPort {
  /** A DNS name without its trailing dot, an IPv4 address, or an IPv6 one without brackets. */
  name: string;
  port: number | undefined;
}

// RFC 9110's Host is uri-host [ ":" port ]. Names are DNS labels (letters, digits, "-", "_"),
// with an optional trailing dot; IPv6 addresses come in brackets. Nothing else is a host:
// no userinfo ("@"), path ("/"), whitespace, bare IPv6, or a port that is not a number.
const BRACKETED = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/;
const NAMED = /^([a-z0-9_-]+(?:\.[a-z0-9_-]+)*)\.?(?::(\d{1,5}))?$/;

/**
 * The host and port a Host (or `:authority`) header names, or undefined when the header is
 * not a host and port (so that nothing malformed can pass for an address or `localhost`).
 */
export function parseHost(header: string): HostAndPort | undefined {
  // Optional whitespace around a field value is not part of it.
  const value = header.replace(/^[ \t]+|[ \t]+$/g, '').toLowerCase();
  const bracketed = BRACKETED.exec(value);
  const match = bracketed ?? NAMED.exec(value);
  const name = match?.[1];
  if (name === undefined || (bracketed && isIP(name) !== 6)) return undefined;
  const port = match?.[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && port > 65_535) return undefined;
  return { name, port };
}

/** The name a Host header names (see `parseHost`), or undefined for a malformed header. */
export function hostName(header: string): string | undefined {
  return parseHost(header)?.name;
}

/** Whether a host name is `localhost` or under it, which browsers resolve to loopback. */
export function isLocalhostName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * The names a server answers to besides `localhost` and IP addresses: the configured ones
 * (normalized as `parseHost` does; `*` stays `*`) and the one it listens on, unless that
 * is a wildcard address.
 */
export function configuredHostNames(
  listenHost: string,
  configured: readonly string[],
): ReadonlySet<string> {
  const normalize = (n: string) => hostName(n) ?? n.trim().toLowerCase();
  const names = new Set(configured.map(normalize).filter(Boolean));
  if (!WILDCARD_ADDRESSES.has(listenHost.trim())) names.add(normalize(listenHost));
  return names;
}

/**
 * Which `Host` (or `:authority`) names a server answers to, against DNS rebinding: a page
 * on an attacker's domain that re-points its name at 127.0.0.1 reaches the server with
 * that *name* in `Host`. So names must be known: `localhost` and `*.localhost` (which
 * browsers resolve to loopback themselves), the name the server listens on, and the
 * configured ones. IP addresses are always allowed: a request naming an IP was sent to
 * that IP on purpose, and no page can rebind an address. A malformed Host is refused.
 */
export function hostNameRule(listenHost: string, configured: readonly string[]) {
  const names = configuredHostNames(listenHost, configured);
  const any = names.has('*');
  return (hostHeader: string | undefined): string | undefined => {
    if (any) return undefined;
    const header = hostHeader ?? '';
    if (header.trim() === '') {
      return `the request names no host: send a "Host" header (or ":authority") with this server's address`;
    }
    const name = hostName(header);
    if (name === undefined) {
      return `the request's host ${JSON.stringify(header.slice(0, 200))} is not a host name or address with an optional port`;
    }
    if (isLocalhostName(name) || isIP(name) !== 0 || names.has(name)) return undefined;
    return `this server does not answer to the host name "${name}": add it to ${ALLOWED_HOSTS_VARIABLE} if clients should reach it by that name`;
  };
}
