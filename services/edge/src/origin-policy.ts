// Which Host headers and browser origins the edge answers. A DNS-rebinding page reaches the
// edge under the attacker's host name; refusing unknown Host headers (421) and foreign
// origins keeps a developer's open edge from being driven by any page they visit.
import { BlockList, isIP } from 'node:net';
import {
  configuredHostNames,
  type HostAndPort,
  hostNameRule,
  isLocalhostName,
  parseHost,
} from '@codeframe/rpc';

export interface OriginPolicyOptions {
  /**
   * CODEFRAME_ALLOWED_HOSTS: names added to those every CodeFRAME server answers to
   * (`localhost`, `*.localhost`, any IP address, and `listenHost`); `*`: any.
   */
  allowedHosts: readonly string[];
  /** CODEFRAME_EDGE_ALLOWED_ORIGINS; empty: the edge's own origins (see `originAllowed`); `*`: any. */
  allowedOrigins: readonly string[];
  /** The address the edge listens on (HOST); a wildcard address names no host. */
  listenHost: string;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443 };

export class OriginPolicy {
  readonly #hostRule: (host: string | undefined) => string | undefined;
  /** The configured names and HOST, without `*` or addresses: names whose pages are its own. */
  readonly #names: ReadonlySet<string>;
  readonly #origins: ReadonlySet<string> | '*' | 'own';
  #lastHost: { host: string; refusal: string | undefined } | undefined;

  constructor(options: OriginPolicyOptions) {
    this.#hostRule = hostNameRule(options.listenHost, options.allowedHosts);
    this.#names = new Set(
      [...configuredHostNames(options.listenHost, options.allowedHosts)].filter(
        (name) => name !== '*' && isIP(name) === 0,
      ),
    );
    this.#origins = options.allowedOrigins.includes('*')
      ? '*'
      : options.allowedOrigins.length > 0
        ? new Set(options.allowedOrigins)
        : 'own';
  }

  /**
   * Why a request naming `host` (its Host header, port and all) is not for this edge, or
   * undefined when it is: the host-name rule of every CodeFRAME server (`hostNameRule`).
   */
  hostRefusal(host: string): string | undefined {
    // Every request asks, most with the same Host: the rule's verdict on the last one is kept.
    if (host !== this.#lastHost?.host) this.#lastHost = { host, refusal: this.#hostRule(host) };
    return this.#lastHost.refusal;
  }

  /**
   * Whether a browser page from `origin` may open a WebSocket to this edge, reached as
   * `host`. Clients that send no Origin are not browsers, so no page can drive them. By
   * default a page may when it is served over http or https from the host and port the
   * request names (the dashboard the edge serves), or from `localhost`, `*.localhost`, a
   * loopback address or a configured name (any port). Never from another IP address, not
   * even HOST's or a configured one, though the edge answers requests naming any: no page
   * could rebind an address, but any page can be served from one.
   */
  originAllowed(origin: string, host: string): boolean {
    if (origin === '' || this.#origins === '*') return true;
    if (this.#origins !== 'own') return this.#origins.has(origin);
    const page = parseOrigin(origin);
    if (!page) return false;
    const target = parseHost(host);
    if (
      target &&
      target.name === page.name &&
      (target.port ?? page.defaultPort) === (page.port ?? page.defaultPort)
    ) {
      return true;
    }
    return isLocalhostName(page.name) || isLoopbackAddress(page.name) || this.#names.has(page.name);
  }
}

function isLoopbackAddress(name: string): boolean {
  const family = isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The host and port of an http or https origin as a browser sends it (`scheme://host[:port]`,
 * nothing more), and the scheme's default port; undefined for anything else.
 */
function parseOrigin(origin: string): (HostAndPort & { defaultPort: number }) | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined || url.origin !== origin) return undefined;
  const page = parseHost(url.host);
  return page && { ...page, defaultPort };
}
