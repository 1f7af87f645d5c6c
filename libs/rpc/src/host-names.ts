import { isIP } from 'node:net';

/** The environment variable that extends the host names a server answers to. */
export const ALLOWED_HOSTS_VARIABLE = 'CODEFRAME_ALLOWED_HOSTS';

const WILDCARD_ADDRESSES = new Set(['', '0.0.0.0', '::', '[::]']);

/**
 * Which `Host` (or `:authority`) names a server answers to, against DNS rebinding: a page
 * on an attacker's domain that re-points its name at 127.0.0.1 reaches the server with
 * that *name* in `Host`. So names must be known: `localhost` and `*.localhost` (which
 * browsers resolve to loopback themselves), the name the server listens on, and the
 * configured ones. IP addresses are always allowed: a request naming an IP was sent to
 * that IP on purpose, and no page can rebind an address.
 */
export function hostNameRule(listenHost: string, configured: readonly string[]) {
  const names = new Set(configured.map((n) => n.trim().toLowerCase()).filter(Boolean));
  if (!WILDCARD_ADDRESSES.has(listenHost)) names.add(listenHost.toLowerCase());
  const any = names.has('*');
  return (hostHeader: string | undefined): string | undefined => {
    if (any) return undefined;
    const name = hostName(hostHeader ?? '');
    if (name === '') {
      return `the request names no host: send a "Host" header (or ":authority") with this server's address`;
    }
    if (
      name === 'localhost' ||
      name.endsWith('.localhost') ||
      isIP(name) !== 0 ||
      names.has(name)
    ) {
      return undefined;
    }
    return `this server does not answer to the host name "${name}": add it to ${ALLOWED_HOSTS_VARIABLE} if clients should reach it by that name`;
  };
}

/** The name in a Host header, lower-cased, without its port or an IPv6 address's brackets. */
export function hostName(header: string): string {
  let host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(1, end);
  }
  const colon = host.indexOf(':');
  // More than one colon: an IPv6 address without brackets (not valid in Host, but harmless).
  if (colon >= 0 && host.indexOf(':', colon + 1) < 0) host = host.slice(0, colon);
  // "localhost." is "localhost": the trailing dot only says the name is fully qualified.
  return host.replace(/\.$/, '');
}
