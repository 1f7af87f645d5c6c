import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitFailure, runGit } from './git-command.js';

// Each URL below is one that must never reach the network or a command, whatever the lead's
// validation let through: git itself refuses it (protocol.allow=never but the listed schemes).

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (err: unknown) => err as Error,
  );

let dir: string;
let hits: IncomingHttpHeaders[] = [];
let http: Server;
let httpPort: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'git-command-'));
  http = createServer((req, res) => {
    hits.push(req.headers);
    if (!req.headers.authorization) {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((done) => http.listen(0, '127.0.0.1', done));
  httpPort = (http.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((done) => http.close(done));
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  hits = [];
  delete process.env.CODEFRAME_REPO_ALLOW_HTTP;
});

describe('runGit refuses transports outside the policy', () => {
  it('refuses fd:: and ext:: even when called directly', async () => {
    const marker = join(dir, 'ext-ran');
    for (const url of ['fd::17', `ext::sh -c touch% ${marker}`]) {
      const err = await failureOf(runGit(['ls-remote', url]));
      expect(err).toBeInstanceOf(GitFailure);
      expect((err as GitFailure).detail).toMatch(/transport '(fd|ext)' not allowed/);
    }
    expect(() => readFileSync(marker)).toThrow();
  });

  it('refuses cleartext http: the server sees no request', async () => {
    const err = await failureOf(
      runGit(['ls-remote', `http://127.0.0.1:${httpPort}/internal-admin`]),
    );
    expect((err as GitFailure).detail).toMatch(/transport 'http' not allowed/);
    expect(hits).toHaveLength(0);
  });

  it('overrides a GIT_ALLOW_PROTOCOL the process inherited', async () => {
    process.env.GIT_ALLOW_PROTOCOL = 'ext:fd:http';
    try {
      const err = await failureOf(runGit(['ls-remote', 'fd::17']));
      expect((err as GitFailure).detail).toMatch(/transport 'fd' not allowed/);
    } finally {
      delete process.env.GIT_ALLOW_PROTOCOL;
    }
  });

  it('still works on local repositories (file)', async () => {
    const bare = join(dir, 'local.git');
    execFileSync('git', ['init', '--quiet', '--bare', bare]);
    await expect(runGit(['ls-remote', `file://${bare}`])).resolves.toBe('');
    await expect(runGit(['ls-remote', bare])).resolves.toBe('');
  });
});

describe('runGit credentials', () => {
  it('hands credentials to git through a helper, never on argv or in the error', async () => {
    process.env.CODEFRAME_REPO_ALLOW_HTTP = 'true';
    const url = `http://127.0.0.1:${httpPort}/repo.git`;
    const credentials = { username: 'alice', password: 's3cret-token' };
    const err = await failureOf(runGit(['ls-remote', url], { credentials }));
    expect(err).toBeInstanceOf(GitFailure);
    const sent = hits.map((h) => h.authorization).filter(Boolean);
    expect(sent[0]).toBe(`Basic ${Buffer.from('alice:s3cret-token').toString('base64')}`);
    expect(String((err as GitFailure).message)).not.toContain('s3cret-token');
  });

  it('without credentials git asks nobody and fails at once', async () => {
    process.env.CODEFRAME_REPO_ALLOW_HTTP = 'true';
    const err = await failureOf(runGit(['ls-remote', `http://127.0.0.1:${httpPort}/repo.git`]));
    expect((err as GitFailure).detail).toMatch(/could not read Username|Authentication failed/);
  });
});

describe('runGit timeouts', () => {
  let silent: TcpServer;
  const sockets: Socket[] = [];
  let port: number;
  beforeAll(async () => {
    // Accepts connections and never says a word: a remote that hangs.
    silent = createTcpServer((socket) => {
      socket.on('error', () => {});
      sockets.push(socket);
    });
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    port = (silent.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((done) => silent.close(done));
  });

  it('stops a network operation that hangs, naming the URL (no credentials) and the limit', async () => {
    // A git that kept hanging would end the test by its timeout, not here.
    const err = await failureOf(
      runGit(['ls-remote', `https://bob:hunter2@127.0.0.1:${port}/stuck.git`], {
        timeoutMs: 1_000,
      }),
    );
    expect(err).toBeInstanceOf(GitFailure);
    const detail = (err as GitFailure).detail;
    expect(detail).toContain(`https://127.0.0.1:${port}/stuck.git`);
    expect(detail).toMatch(/did not finish within 1 s/);
    expect(detail).not.toContain('hunter2');
  });
});
