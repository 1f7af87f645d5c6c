// nginx running deploy/nginx/edge.conf in front of a test's edge: the example file with its
// listen address, upstream and certificate paths replaced by the test's, wrapped in a main
// configuration whose every path is in a temp directory of its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, WORKSPACE_ROOT } from '@codeframe/testkit';

export const EXAMPLE_CONF = join(WORKSPACE_ROOT, 'deploy/nginx/edge.conf');

/** Debian's nginx (nginx-light), where tools/doctor/src/checks.mjs looks for it. */
export const NGINX = '/usr/sbin/nginx';

export interface ProxyTarget {
  /** The edge's HTTP port. */
  edgePort: number;
  cert: string;
  key: string;
}

/** Replaces `from` in `text`, which must hold it exactly once: the example must not drift. */
function replaceOnce(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) {
    throw new Error(`${EXAMPLE_CONF} holds ${JSON.stringify(from)} ${parts.length - 1} times`);
  }
  return parts.join(to);
}

/** The example configuration for nginx on 127.0.0.1:`port` in front of `target`. */
export function renderEdgeConf(port: number, target: ProxyTarget): string {
  let conf = readFileSync(EXAMPLE_CONF, 'utf8');
  conf = replaceOnce(conf, 'listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`);
  conf = replaceOnce(conf, 'server 127.0.0.1:7080;', `server 127.0.0.1:${target.edgePort};`);
  conf = replaceOnce(conf, '/etc/codeframe/edge.pem;', `${target.cert};`);
  conf = replaceOnce(conf, '/etc/codeframe/edge-key.pem;', `${target.key};`);
  return conf;
}

/**
 * The directives of one `location` block of an nginx configuration, by name (a name that
 * repeats, like proxy_set_header, has one entry per line). Enough for the example's flat
 * blocks: no nested blocks, no quoted braces.
 */
export function locationDirectives(conf: string, location: string): Map<string, string[]> {
  const text = conf.replace(/#.*$/gm, '');
  const start = text.indexOf(`location ${location} {`);
  if (start < 0) throw new Error(`no "location ${location}" block`);
  const body = text.slice(text.indexOf('{', start) + 1, text.indexOf('}', start));
  const directives = new Map<string, string[]>();
  for (const statement of body.split(';')) {
    const [name, ...args] = statement.trim().split(/\s+/);
    if (!name) continue;
    directives.set(name, [...(directives.get(name) ?? []), args.join(' ')]);
  }
  return directives;
}

/** An nginx time (`90`, `30s`, `5m`, `1h`) in seconds. */
export function nginxSeconds(time: string): number {
  const match = /^(\d+)(s|m|h|d)?$/.exec(time);
  if (!match) throw new Error(`not an nginx time: ${JSON.stringify(time)}`);
  const unit = { s: 1, m: 60, h: 3600, d: 86_400 }[match[2] ?? 's'] ?? 1;
  return Number(match[1]) * unit;
}

export interface NginxProxy {
  readonly port: number;
  /** What nginx wrote to stderr (its error log). */
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Starts nginx with the rendered example in `dir` (a fresh temp directory), on a free port
 * (nginx cannot be given port 0; another process may take it first, so a refused bind tries
 * another). Resolves once it accepts connections.
 */
export async function startNginxProxy(dir: string, target: ProxyTarget): Promise<NginxProxy> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} does not exist: apt-get install nginx-light`);
  // Workers run as nobody when nginx starts as root: they must reach the temp paths.
  chmodSync(dir, 0o755);
  const main = join(dir, 'nginx.conf');
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    writeFileSync(join(dir, 'edge.conf'), renderEdgeConf(port, target));
    writeFileSync(
      main,
      [
        'worker_processes 1;',
        'events { worker_connections 256; }',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(
          (kind) => `  ${kind}_temp_path ${join(dir, `${kind}-temp`)};`,
        ),
        `  include ${join(dir, 'edge.conf')};`,
        '}',
        '',
      ].join('\n'),
    );
    const child = spawn(
      NGINX,
      ['-p', dir, '-e', 'stderr', '-c', main, '-g', `daemon off; pid ${join(dir, 'nginx.pid')};`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    if (await accepting(child, port)) return proxy(child, port, () => stderr);
    lastError = stderr;
    if (!/Address already in use/.test(stderr)) break;
  }
  throw new Error(`nginx did not start: ${lastError}`);
}

function proxy(child: ChildProcess, port: number, stderr: () => string): NginxProxy {
  const killNow = () => child.kill('SIGKILL');
  process.once('exit', killNow);
  return {
    port,
    stderr,
    async stop() {
      process.off('exit', killNow);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM'); // fast shutdown: the master stops its workers and exits
      await exited;
    },
  };
}

/** Whether nginx accepts connections on `port` (false once it exited). */
async function accepting(child: ChildProcess, port: number): Promise<boolean> {
  const exited = new Promise<false>((resolve) => child.once('exit', () => resolve(false)));
  for (let i = 0; i < 200 && child.exitCode === null && child.signalCode === null; i++) {
    const connected = await Promise.race([exited, tryConnect(port)]);
    if (connected) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (child.exitCode === null && child.signalCode === null) {
    const gone = once(child, 'exit');
    child.kill('SIGKILL');
    await gone;
  }
  return false;
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A GET over https to 127.0.0.1:`port`, trusting `ca`, with the given Host header; the
 * certificate is checked for `localhost` whatever the Host (Node would take the name from it).
 */
export function httpsGet(
  port: number,
  path: string,
  ca: string,
  host: string,
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: 'localhost',
        ca: readFileSync(ca),
        headers: { host },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
