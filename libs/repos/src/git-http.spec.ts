// The lead's repositories over git's smart HTTP protocol, with real git clients: what a
// worker on another host does (clone, fetch, push its branch), and what nobody may do.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type RpcServer, startRpcServer } from '@codeframe/rpc';
import { runGit, silentLogger } from '@codeframe/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitHttpRoute } from './git-http.js';
import { createProjectRepo } from './project-repo.js';

const run = promisify(execFile);

/** A GET with the path sent as written (fetch would resolve its dot segments first). */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const TOKEN = 'git-endpoint-token';
const PROJECT = 'p-1';

/** git as a client on another host would run it: no prompt, no config of this machine's. */
async function git(args: string[], cwd?: string): Promise<{ ok: boolean; out: string }> {
  try {
    const { stdout, stderr } = await run('git', args, {
      cwd,
      env: {
        PATH: process.env.PATH,
        HOME: cwd ?? tmpdir(),
        GIT_TERMINAL_PROMPT: '0',
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_AUTHOR_NAME: 'w',
        GIT_AUTHOR_EMAIL: 'w@example.com',
        GIT_COMMITTER_NAME: 'w',
        GIT_COMMITTER_EMAIL: 'w@example.com',
      },
    });
    return { ok: true, out: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('the lead’s git endpoint', () => {
  let dataDir: string;
  let server: RpcServer;
  let base: string;
  const withToken = (path: string) =>
    `http://codeframe:${TOKEN}@127.0.0.1:${server.port}/git/${path}`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'git-http-'));
    await createProjectRepo(dataDir, PROJECT, 'git over http');
    writeFileSync(join(dataDir, 'lead.sqlite'), 'the lead’s state');
    server = await startRpcServer({
      host: '127.0.0.1',
      port: 0,
      logger: silentLogger,
      services: [],
      authToken: TOKEN,
      shutdownGraceMs: 1000,
      routes: () => {},
      httpRoutes: [
        await gitHttpRoute({
          reposDir: join(dataDir, 'repos'),
          hooksDir: join(dataDir, 'git-hooks'),
          authToken: TOKEN,
          logger: silentLogger,
        }),
      ],
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => server?.close());

  it('lets a worker clone, push its task branch, and fetch it back', async () => {
    const work = mkdtempSync(join(tmpdir(), 'git-http-work-'));
    const clone = await git(['clone', withToken(`${PROJECT}.git`), 'repo'], work);
    expect(clone.out).not.toMatch(/fatal/);
    expect(clone.ok).toBe(true);
    const repo = join(work, 'repo');
    writeFileSync(join(repo, 'a.txt'), 'work\n');
    await git(['add', 'a.txt'], repo);
    await git(['commit', '-qm', 'feat: a'], repo);
    const push = await git(['push', 'origin', 'HEAD:refs/heads/task/t-1'], repo);
    expect(push.out).not.toMatch(/fatal|rejected/);
    expect(push.ok).toBe(true);
    const bare = join(dataDir, 'repos', `${PROJECT}.git`);
    const pushed = (await runGit(['--git-dir', bare, 'rev-parse', 'task/t-1'])).trim();
    expect(pushed).toBe((await runGit(['-C', repo, 'rev-parse', 'HEAD'])).trim());
    const fetch = await git(['fetch', 'origin', 'task/t-1'], repo);
    expect(fetch.ok).toBe(true);
  });

  it('refuses a push to main or the merge queue: only the lead’s merges move them', async () => {
    const work = mkdtempSync(join(tmpdir(), 'git-http-main-'));
    await git(['clone', withToken(`${PROJECT}.git`), 'repo'], work);
    const repo = join(work, 'repo');
    const bare = join(dataDir, 'repos', `${PROJECT}.git`);
    const before = (await runGit(['--git-dir', bare, 'rev-parse', 'main'])).trim();
    writeFileSync(join(repo, 'evil.txt'), 'x\n');
    await git(['add', 'evil.txt'], repo);
    await git(['commit', '-qm', 'evil'], repo);
    for (const ref of ['main', 'codeframe/merge-queue']) {
      const push = await git(['push', 'origin', `HEAD:refs/heads/${ref}`], repo);
      expect(push.ok).toBe(false);
      expect(push.out).toContain(`refusing to update refs/heads/${ref}`);
    }
    expect((await runGit(['--git-dir', bare, 'rev-parse', 'main'])).trim()).toBe(before);
  });

  it('asks for the token (Basic or Bearer) and refuses a wrong one', async () => {
    const work = mkdtempSync(join(tmpdir(), 'git-http-auth-'));
    const none = await git(['clone', `${base}/git/${PROJECT}.git`, 'a'], work);
    expect(none.ok).toBe(false);
    expect(none.out).toMatch(/Authentication failed|could not read Username/);
    const wrong = await git(
      ['clone', `http://codeframe:nope@127.0.0.1:${server.port}/git/${PROJECT}.git`, 'b'],
      work,
    );
    expect(wrong.ok).toBe(false);
    const anonymous = await fetch(`${base}/git/${PROJECT}.git/info/refs?service=git-upload-pack`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
    const bearer = await fetch(`${base}/git/${PROJECT}.git/info/refs?service=git-upload-pack`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
  });

  it('serves nothing but the smart protocol of a repository the lead created', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const bare = join(dataDir, 'repos', `${PROJECT}.git`);
    const attempts = [
      '/git/../lead.sqlite',
      '/git/%2e%2e/lead.sqlite',
      `/git/${PROJECT}.git/../../lead.sqlite`,
      `/git/${PROJECT}.git/HEAD`,
      `/git/${PROJECT}.git/config`,
      `/git/${PROJECT}.git/objects/info/packs`,
      `/git/${PROJECT}.git/info/refs`,
      `/git/${PROJECT}.git/info/refs?service=git-upload-archive`,
      '/git/nope.git/info/refs?service=git-upload-pack',
      '/git/.git/info/refs?service=git-upload-pack',
    ];
    for (const path of attempts) {
      const res = await rawGet(server.port, path, auth);
      const body = res.body;
      expect(res.status, path).toBe(404);
      expect(body, path).not.toContain('the lead’s state');
      expect(body, path).not.toContain(readFileSync(join(bare, 'HEAD'), 'utf8').trim());
    }
    const upload = await fetch(`${base}/git/${PROJECT}.git/git-upload-pack`, { headers: auth });
    expect(upload.status).toBe(404); // a GET of a POST-only endpoint
  });
});
