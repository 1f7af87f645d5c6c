import { hostname } from 'node:os';
import { ConfigError, type Logger } from '@codeframe/runtime';

const VARIABLE = 'CODEFRAME_ADVERTISED_URL';

/** Where other hosts reach this lead: a host name its server must answer to, and the URL. */
export interface Advertised {
  /** Added to the host names the lead's server answers (CODEFRAME_ALLOWED_HOSTS). */
  hostname: string;
  /** The base URL, once the port is known, e.g. http://10.0.0.4:7100. */
  url(port: number): string;
}

/**
 * The lead's base URL as other hosts reach it (workers fetch and push repositories there):
 * CODEFRAME_ADVERTISED_URL when set, else the address it listens on, with the machine's
 * host name for a wildcard address (and a warning that other hosts may need the setting).
 */
export function advertised(
  given: string | undefined,
  host: string,
  log: Logger,
  scheme: 'http' | 'https' = 'http',
): Advertised {
  if (given) {
    let url: URL;
    try {
      url = new URL(given);
    } catch {
      throw new ConfigError(VARIABLE, `${VARIABLE}=${JSON.stringify(given)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new ConfigError(
        VARIABLE,
        `${VARIABLE} must be an http:// or https:// URL, not ${url.protocol}`,
      );
    }
    if (url.username || url.password) {
      throw new ConfigError(
        VARIABLE,
        `${VARIABLE} must not carry credentials: workers get the lead's token apart`,
      );
    }
    const base = url.origin + url.pathname.replace(/\/+$/, '');
    return { hostname: url.hostname.replace(/^\[|\]$/g, ''), url: () => base };
  }
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const name = wildcard ? hostname() : host;
  const shown = name.includes(':') ? `[${name}]` : name;
  if (wildcard) {
    log.warn(
      `listening on all addresses: workers are told to reach this lead's repositories at ${scheme}://${shown}; set ${VARIABLE} if they reach it by another name`,
    );
  }
  return { hostname: name, url: (port) => `${scheme}://${shown}:${port}` };
}
