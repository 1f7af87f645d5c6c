import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@codeframe/runtime';

// The sandbox's only way out: an HTTP proxy on a Unix socket, bound into the sandbox and
// forwarded to a loopback port there, that lets a command reach the package registries and
// nothing else. HTTPS goes through CONNECT (the proxy sees the host and port, never the
// bytes); plain HTTP is forwarded. Names are resolved here, on the worker, so inside the
// sandbox no name resolves at all.

/** A host (or `*.domain`: any name under it) and the one port allowed on it. */
export interface AllowedHost {
  host: string;
  port: number;
}

/** Reads `host`, `host:port`, `[v6]:port`, `*.domain` or a URL; a bare host means port 443. */
export function parseAllowedHost(entry: string): AllowedHost {
  const text = entry.trim().toLowerCase();
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(text)) {
    const url = new URL(text);
    const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  }
  const match = /^(\[[0-9a-f:.]+\]|[^:]+)(?::(\d+))?$/.exec(text);
  const host = match?.[1]?.replace(/^\[|\]$/g, '');
  const port = match?.[2] ? Number(match[2]) : 443;
  const name = host?.startsWith('*.') ? host.slice(2) : host;
  const validName =
    !!name &&
    (isIP(name) > 0 ||
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name));
  if (!host || !validName || port < 1 || port > 65535) {
    throw new Error(
      `"${entry}" is not a host: give a name (registry.example.com), name:port, *.domain, or a URL`,
    );
  }
  return { host, port };
}

/** Whether `host:port` is on the list: same port, and the same name or one under `*.`. */
export function isAllowed(list: readonly AllowedHost[], host: string, port: number): boolean {
  const name = host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^\[|\]$/g, '');
  return list.some(
    (entry) =>
      entry.port === port &&
      (entry.host.startsWith('*.') ? name.endsWith(entry.host.slice(1)) : entry.host === name),
  );
}

export interface EgressProxyOptions {
  socketPath: string;
  allowed: readonly AllowedHost[];
  logger?: Logger;
  connectTimeoutMs?: number;
}

const MAX_CONNECTIONS = 512;
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authorization', 'proxy-connection', 'te'];

/** The filtering proxy of one worker, listening on a Unix socket. */
export class EgressProxy {
  /** The last refused destinations, newest last. */
  readonly refused: string[] = [];
  /** CONNECT tunnels, which the HTTP server no longer tracks. */
  readonly #tunnels = new Set<Duplex>();

  private constructor(
    readonly socketPath: string,
    private readonly server: Server,
  ) {}

  static async start(options: EgressProxyOptions): Promise<EgressProxy> {
    const { allowed, logger } = options;
    const timeout = options.connectTimeoutMs ?? 30_000;
    const server = createServer();
    const proxy = new EgressProxy(options.socketPath, server);
    const refuse = (where: string) => {
      proxy.refused.push(where);
      if (proxy.refused.length > 100) proxy.refused.shift();
      logger?.info({ destination: where }, 'sandbox network: refused');
      return `CodeFRAME sandbox: ${where} is not an allowed host; commands may reach only ${allowed.map((a) => `${a.host}:${a.port}`).join(', ') || 'no host'} (CODEFRAME_SANDBOX_ALLOWED_HOSTS adds more)\n`;
    };

    server.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
      client.on('error', () => {});
      proxy.#tunnels.add(client);
      client.once('close', () => proxy.#tunnels.delete(client));
      const target = /^(\[[0-9a-fA-F:.]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
      const host = target?.[1]?.replace(/^\[|\]$/g, '') ?? '';
      const port = Number(target?.[2]);
      if (!target || !isAllowed(allowed, host, port)) {
        const body = refuse(req.url ?? '?');
        client.end(
          `HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
        return;
      }
      const upstream: Socket = connect({ host, port, timeout });
      upstream.once('connect', () => {
        upstream.setTimeout(0);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client).pipe(upstream);
      });
      const fail = (why: string) => {
        if (!client.writableEnded)
          client.end(`HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\n\r\n${why}\n`);
        upstream.destroy();
      };
      upstream.once('timeout', () => fail(`no answer from ${host}:${port}`));
      upstream.once('error', (err) => fail(`cannot reach ${host}:${port}: ${err.message}`));
      client.once('close', () => upstream.destroy());
    });

    server.on('request', (req, res) => {
      let url: URL;
      try {
        url = new URL(req.url ?? '');
      } catch {
        res
          .writeHead(400, { 'content-type': 'text/plain' })
          .end('a proxy request needs an absolute http:// URL\n');
        return;
      }
      const port = url.port ? Number(url.port) : 80;
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (url.protocol !== 'http:' || !isAllowed(allowed, host, port)) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end(refuse(`${host}:${port}`));
        return;
      }
      const headers = { ...req.headers };
      for (const name of HOP_BY_HOP) delete headers[name];
      const upstream = request(
        { host, port, method: req.method, path: `${url.pathname}${url.search}`, headers, timeout },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('timeout', () => upstream.destroy(new Error('timed out')));
      upstream.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`cannot reach ${host}:${port}: ${err.message}\n`);
      });
      req.pipe(upstream);
    });
    server.on('clientError', (_err, socket) => socket.destroy());
    // Installers open a few dozen connections; a command cannot make the worker hold more.
    server.maxConnections = MAX_CONNECTIONS;

    await rm(options.socketPath, { force: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.socketPath, () => resolve());
    });
    return proxy;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    for (const tunnel of this.#tunnels) tunnel.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.socketPath, { force: true });
  }
}
