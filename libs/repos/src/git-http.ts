// The lead's project repositories over git's smart HTTP protocol, on the lead's own port
// under /git/<project id>.git, so a worker on another host fetches and pushes them with the
// lead's token instead of reaching a file:// path. Each request is handed to
// `git http-backend` (git's own CGI program), with nothing of the lead's environment.
//
// Only the smart protocol's three endpoints are served, only for repositories the lead
// created, and a push may never move `main` or the merge queue (a pre-receive hook of the
// lead's): those move by the lead's merges alone.
import { spawn } from 'node:child_process';
import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import type http from 'node:http';
import { join } from 'node:path';
import { bearerCheck, type HttpRoute } from '@codeframe/rpc';
import type { Logger } from '@codeframe/runtime';

export const GIT_PREFIX = '/git/';
/** The user name workers send with the token (git's Basic authentication needs one). */
export const GIT_USER = 'codeframe';
/** The most a push may send: a bound for a runaway client, far above any task's work. */
const MAX_BODY_BYTES = 512 * 1024 * 1024;
/** A request still running after this is ended (a stalled client holds a git process). */
const REQUEST_TIMEOUT_MS = 10 * 60_000;

const PRE_RECEIVE = `#!/bin/sh
# Installed by the CodeFRAME lead for pushes over its git endpoint: main and the merge
# queue move only by the lead's merges.
status=0
while read -r old new ref; do
  case "$ref" in
    refs/heads/main|refs/heads/codeframe/*)
      echo "codeframe: refusing to update $ref: only the lead's merges move it" >&2
      status=1 ;;
  esac
done
exit $status
`;

// git speaks HTTP/1.1 over http://; an h2c client gets the same through Node's compatible API.
type Request = http.IncomingMessage;
type Response = http.ServerResponse;

export interface GitHttpOptions {
  /** Where the lead keeps the repositories it created: <dataDir>/repos. */
  reposDir: string;
  /** Where the endpoint's pre-receive hook is written. */
  hooksDir: string;
  /** Required of every request when set (Bearer, or Basic with it as the password). */
  authToken: string | undefined;
  logger: Logger;
}

/** The route serving /git/<id>.git/…; writes its hook first. */
export async function gitHttpRoute(o: GitHttpOptions): Promise<HttpRoute> {
  await mkdir(o.hooksDir, { recursive: true });
  const hook = join(o.hooksDir, 'pre-receive');
  await writeFile(hook, PRE_RECEIVE);
  await chmod(hook, 0o755);
  const authorized = authorization(o.authToken);
  return {
    prefix: GIT_PREFIX,
    handle(h1req, h1res) {
      const [req, res] = [h1req as Request, h1res as Response];
      serve(req, res, o, authorized).catch((err) => {
        o.logger.error({ err, path: req.url }, 'the git endpoint failed');
        if (!res.headersSent) plain(res, 500, 'the git endpoint failed\n');
        else res.destroy();
      });
    },
  };
}

/** Bearer <token>, or Basic with the token as the password (what git sends after a 401). */
function authorization(token: string | undefined): (header: string | undefined) => boolean {
  if (!token) return () => true;
  const check = bearerCheck(token);
  return (header) => {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
    if (!basic) return check(header) === undefined;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    return check(`Bearer ${decoded.slice(decoded.indexOf(':') + 1)}`) === undefined;
  };
}

/** /git/<id>.git/<endpoint>: the project id and the endpoint, or undefined. */
function parse(url: string): { id: string; endpoint: string; query: string } | undefined {
  const [path = '', query = ''] = url.split('?', 2);
  const match = /^\/git\/([\w-][\w.-]*)\.git\/(info\/refs|git-upload-pack|git-receive-pack)$/.exec(
    path,
  );
  return match ? { id: match[1]!, endpoint: match[2]!, query } : undefined;
}

async function serve(
  req: Request,
  res: Response,
  o: GitHttpOptions,
  authorized: (header: string | undefined) => boolean,
): Promise<void> {
  if (!authorized(req.headers.authorization)) {
    res.writeHead(401, {
      'www-authenticate': 'Basic realm="CodeFRAME lead"',
      'content-type': 'text/plain; charset=utf-8',
    });
    res.end(
      'this lead requires its CODEFRAME_AUTH_TOKEN: Bearer, or Basic with the token as the password\n',
    );
    return;
  }
  const target = parse(req.url ?? '');
  const service = new URLSearchParams(target?.query ?? '').get('service');
  const allowed =
    target &&
    (target.endpoint === 'info/refs'
      ? req.method === 'GET' && (service === 'git-upload-pack' || service === 'git-receive-pack')
      : req.method === 'POST');
  if (!target || !allowed) {
    plain(
      res,
      404,
      'not a git smart HTTP request of this lead: /git/<project id>.git/info/refs?service=git-upload-pack, …/git-upload-pack or …/git-receive-pack\n',
    );
    return;
  }
  const repo = join(o.reposDir, `${target.id}.git`);
  if (!(await stat(join(repo, 'HEAD')).catch(() => undefined))) {
    plain(res, 404, `this lead keeps no repository for project "${target.id}"\n`);
    return;
  }
  const pushing = target.endpoint === 'git-receive-pack' || service === 'git-receive-pack';
  backend(req, res, o, `/${target.id}.git/${target.endpoint}`, target.query, pushing);
}

/** Runs `git http-backend` for the request: CGI headers in, the body both ways. */
function backend(
  req: Request,
  res: Response,
  o: GitHttpOptions,
  pathInfo: string,
  query: string,
  pushing: boolean,
): void {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  };
  const remote = req.socket?.remoteAddress ?? '';
  const config: [string, string][] = [
    ['http.receivepack', 'true'],
    ['http.uploadpack', 'true'],
    ['core.hooksPath', o.hooksDir],
    ['receive.fsckObjects', 'true'],
  ];
  const child = spawn('git', ['http-backend'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_COUNT: String(config.length),
      ...Object.fromEntries(
        config.flatMap(([key, value], i) => [
          [`GIT_CONFIG_KEY_${i}`, key],
          [`GIT_CONFIG_VALUE_${i}`, value],
        ]),
      ),
      GIT_PROJECT_ROOT: o.reposDir,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: pathInfo,
      QUERY_STRING: query,
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: header('content-type'),
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: header('content-length') } : {}),
      HTTP_CONTENT_ENCODING: header('content-encoding'),
      GIT_PROTOCOL: header('git-protocol'),
      REMOTE_USER: GIT_USER,
      REMOTE_ADDR: remote,
    },
  });
  const started = Date.now();
  const timer = setTimeout(() => child.kill('SIGKILL'), REQUEST_TIMEOUT_MS);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString();
  });
  // The client went away: nothing more will be read, stop git.
  res.once('close', () => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  let received = 0;
  req.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (received > MAX_BODY_BYTES) {
      child.kill('SIGKILL');
      req.destroy();
      if (!res.headersSent) plain(res, 413, `a request body above ${MAX_BODY_BYTES} bytes\n`);
    }
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {}); // git stopped reading: its answer says why

  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      if (!res.write(chunk)) child.stdout.pause();
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (!end) return;
    headersDone = true;
    const { status, headers } = cgiHeaders(head.subarray(0, end.at).toString('latin1'));
    res.writeHead(status, headers);
    const rest = head.subarray(end.at + end.length);
    if (rest.length > 0 && !res.write(rest)) child.stdout.pause();
  });
  res.on('drain', () => child.stdout.resume());
  child.once('close', (code) => {
    clearTimeout(timer);
    const ms = Date.now() - started;
    if (!headersDone) {
      if (!res.headersSent) plain(res, 500, `git http-backend failed: ${stderr.trim()}\n`);
    } else {
      res.end();
    }
    const level = code === 0 ? (pushing ? 'info' : 'debug') : 'warn';
    o.logger[level](
      { path: pathInfo, from: remote, exit: code, ms, stderr: stderr.trim() || undefined },
      pushing ? 'git push' : 'git fetch',
    );
  });
}

function headerEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const crlf = buffer.indexOf('\r\n\r\n');
  if (crlf >= 0) return { at: crlf, length: 4 };
  const lf = buffer.indexOf('\n\n');
  return lf >= 0 ? { at: lf, length: 2 } : undefined;
}

/** CGI response headers: `Status: 404 Not Found` is the status, the rest are headers. */
function cgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}

function plain(res: Response, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}
