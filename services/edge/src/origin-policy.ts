// Which Host headers and browser origins the edge answers. A DNS-rebinding page reaches the
// edge under the attacker's host name; refusing unknown Host headers (421) and foreign
// origins keeps a developer's open edge from being driven by any page they visit.

export interface OriginPolicyOptions {
  /** CODEFRAME_EDGE_ALLOWED_HOSTS; empty: the loopback names and `listenHost`; `*`: any. */
  allowedHosts: readonly string[];
  /** CODEFRAME_EDGE_ALLOWED_ORIGINS; empty: the allowed hosts over http or https; `*`: any. */
  allowedOrigins: readonly string[];
  /** The address the edge listens on (HOST); a wildcard address names no host. */
  listenHost: string;
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'] as const;
const WILDCARD_ADDRESSES = new Set(['', '0.0.0.0', '::', '[::]', '*']);

export class OriginPolicy {
  readonly #hosts: ReadonlySet<string> | '*';
  readonly #origins: ReadonlySet<string> | '*' | 'own';

  constructor(options: OriginPolicyOptions) {
    this.#hosts = options.allowedHosts.includes('*')
      ? '*'
      : new Set(
          (options.allowedHosts.length > 0
            ? options.allowedHosts
            : [...LOOPBACK_HOSTS, ...ownName(options.listenHost)]
          ).map((h) => hostName(h) ?? h.toLowerCase()),
        );
    this.#origins = options.allowedOrigins.includes('*')
      ? '*'
      : options.allowedOrigins.length > 0
        ? new Set(options.allowedOrigins)
        : 'own';
  }

  /** Whether a request naming `host` (its Host header, port and all) is for this edge. */
  hostAllowed(host: string): boolean {
    if (this.#hosts === '*') return true;
    const name = hostName(host);
    return name !== undefined && this.#hosts.has(name);
  }

  /**
   * Whether a browser page from `origin` may open a WebSocket to this edge, reached as
   * `host`. Clients that send no Origin are not browsers, so no page can drive them.
   */
  originAllowed(origin: string, host: string): boolean {
    if (origin === '' || this.#origins === '*') return true;
    if (this.#origins !== 'own') return this.#origins.has(origin);
    const page = parseOrigin(origin);
    if (!page) return false;
    // Any host allowed: the page must come from the host the request names.
    if (this.#hosts === '*') return hostName(page) === hostName(host);
    return this.hostAllowed(page);
  }
}

/** The sentence a refused Host gets. */
export function hostRefusal(host: string): string {
  return `host ${JSON.stringify(host)} is not one this edge serves: reach it by a name in CODEFRAME_EDGE_ALLOWED_HOSTS (comma-separated; by default the loopback names and HOST; * allows any)`;
}

/** The lower-cased name of a Host value (`name`, `name:port`, `[v6]:port`), or undefined. */
function hostName(host: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^\s:[\]/@]+)(?::\d{1,5})?$/i.exec(host);
  return match?.[1]?.toLowerCase();
}

function ownName(listenHost: string): string[] {
  if (WILDCARD_ADDRESSES.has(listenHost)) return [];
  return [listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost];
}

/** The host (with port) of an http or https origin, or undefined for anything else. */
function parseOrigin(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : undefined;
  } catch {
    return undefined;
  }
}
