import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LeadService } from '@codeframe/proto';
import type { RepoUrlSettings } from '@codeframe/repos';
import { requestValidation } from '@codeframe/rpc';
import { openSqliteStore, type Store } from '@codeframe/store';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiErrors } from './api-errors.js';
import { leadParts } from './lead-parts.fixture.js';
import { leadService } from './lead-service.js';

// Every repository URL a user could hand CreateProject to turn the lead's or a worker's git
// against something it must not touch. Each is refused at once with INVALID_ARGUMENT and a
// sentence, and nothing is stored.

let dir: string;
let root: string;
let dataDir: string;
let hits = 0;
let admin: Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'repo-url-attacks-'));
  root = join(dir, 'repos');
  dataDir = join(dir, 'lead');
  mkdirSync(root);
  execFileSync('git', ['init', '--quiet', '--bare', join(root, 'a.git')]);
  execFileSync('git', ['init', '--quiet', '--bare', join(root, 'b.git')]);
  execFileSync('git', ['init', '--quiet', '--bare', join(dir, 'outside.git')]);
  symlinkSync(join(dir, 'outside.git'), join(root, 'escape.git'));
  symlinkSync(join(root, 'a.git'), join(root, 'alias.git'));
  admin = createServer((_req, res) => {
    hits++;
    res.writeHead(200).end('the admin page');
  });
  await new Promise<void>((done) => admin.listen(0, '127.0.0.1', done));
  port = (admin.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((done) => admin.close(done));
  rmSync(dir, { recursive: true, force: true });
});

async function lead(settings: Partial<RepoUrlSettings> = {}) {
  const store = await openSqliteStore(':memory:');
  const parts = leadParts(store, {
    dataDir,
    repoUrls: { root, allowHttp: false, allowPrivateHosts: false, ...settings },
  });
  const transport = createRouterTransport(
    (router) => router.service(LeadService, leadService(parts)),
    { router: { interceptors: [apiErrors, requestValidation()] } },
  );
  return { client: createClient(LeadService, transport), store };
}

async function refused(
  store: Store,
  client: Awaited<ReturnType<typeof lead>>['client'],
  url: string,
) {
  const before = (await store.listProjects()).length;
  const err = await client.createProject({ prd: '# x', repoUrl: url }).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  expect(err, `${JSON.stringify(url)} was accepted`).toBeDefined();
  expect(err?.code, err?.rawMessage).toBe(Code.InvalidArgument);
  expect(err?.rawMessage).toMatch(/^repo_url: /);
  expect((await store.listProjects()).length).toBe(before);
  return err!.rawMessage;
}

describe('CreateProject refuses repository URLs outside the policy', () => {
  it('refuses request forgery to loopback, private and link-local hosts: the server sees nothing', async () => {
    const { client, store } = await lead();
    const message = await refused(store, client, `http://127.0.0.1:${port}/internal-admin`);
    expect(message).toMatch(/http:\/\/, which is cleartext/);
    for (const url of [
      `https://127.0.0.1:${port}/internal-admin`,
      `https://localhost:${port}/x.git`,
      `https://[::1]:${port}/x.git`,
      `https://0x7f000001:${port}/x.git`,
      'https://2130706433/x.git',
      'https://169.254.169.254/latest/meta-data',
      'https://10.1.2.3/x.git',
      'https://[::ffff:127.0.0.1]/x.git',
      'ssh://192.168.1.1/x.git',
      'git@127.0.0.1:x.git',
    ]) {
      expect(await refused(store, client, url)).toMatch(/loopback, private or link-local/);
    }
    expect(hits).toBe(0);
  });

  it('allows loopback hosts only with the setting', async () => {
    const { client } = await lead({ allowPrivateHosts: true, allowHttp: true });
    const { project } = await client.createProject({
      prd: '# x',
      repoUrl: `http://127.0.0.1:${port}/team.git`,
    });
    expect(project?.repoUrl).toBe(`http://127.0.0.1:${port}/team.git`);
    expect(hits).toBe(0);
  });

  it("refuses project B given project A's repository, in any spelling", async () => {
    const { client, store } = await lead();
    const { project: a } = await client.createProject({
      prd: '# a',
      repoUrl: `file://${root}/a.git`,
    });
    expect(a?.repoUrl).toBe(`file://${root}/a.git`);
    for (const url of [
      `file://${root}/a.git`,
      `${root}/a.git`,
      `${root}/./b.git/../a.git/`,
      `file://${root}/alias.git`,
      `file://localhost${root}/a.git`,
    ]) {
      expect(await refused(store, client, url)).toMatch(/already the repository of project/);
    }
    // The lead's own repositories, in its data dir, belong to their projects: refused even
    // when the root holds the data dir.
    const { project: own } = await client.createProject({ prd: '# own' });
    expect(await refused(store, client, own!.repoUrl)).toMatch(/only below CODEFRAME_REPO_ROOT/);
    const wide = await lead({ root: dir });
    expect(await refused(wide.store, wide.client, own!.repoUrl)).toMatch(/data directory/);
    expect(await refused(wide.store, wide.client, dataDir)).toMatch(/data directory/);
    // Remote URLs compare by host and path, whatever the scheme, user or .git suffix.
    await client.createProject({ prd: '# r', repoUrl: 'https://git.example.com/team/app.git' });
    for (const url of [
      'https://GIT.example.com/team/app',
      'ssh://git@git.example.com/team/app.git',
      'git@git.example.com:team/app.git',
      'https://user:pw@git.example.com/team/app.git/',
    ]) {
      expect(await refused(store, client, url)).toMatch(/already the repository of project/);
    }
  });

  it('refuses local paths outside the root, relative, or when no root is set', async () => {
    const { client, store } = await lead();
    expect(await refused(store, client, `file://${dir}/elsewhere.git`)).toMatch(
      /only below CODEFRAME_REPO_ROOT/,
    );
    expect(await refused(store, client, `${root}/../outside.git`)).toMatch(
      /only below CODEFRAME_REPO_ROOT/,
    );
    expect(await refused(store, client, `file://${root}/escape.git`)).toMatch(
      /only below CODEFRAME_REPO_ROOT/,
    );
    expect(await refused(store, client, 'repos/a.git')).toMatch(/not a URL git may use/);
    expect(await refused(store, client, `file://${root}/missing.git`)).toMatch(/does not exist/);
    const unset = await lead({ root: undefined });
    expect(await refused(unset.store, unset.client, `file://${root}/b.git`)).toMatch(
      /local repositories are refused: set CODEFRAME_REPO_ROOT/,
    );
  });

  it('refuses transport helpers, option-like and malformed URLs at once', async () => {
    const { client, store } = await lead();
    for (const url of ['fd::17', 'ext::sh -c touch% /tmp/pwned', 'ext::sh', 'https::x', 'foo::bar'])
      expect(await refused(store, client, url)).toMatch(/transport helper/);
    for (const url of ['--upload-pack=touch /tmp/pwned', '-oProxyCommand=x'])
      expect(await refused(store, client, url)).toMatch(/starts with "-"/);
    for (const url of [
      'https://git.example.com/a b.git',
      'https://git.example.com/a\0b.git',
      'https://git.example.com/a\nb.git',
      'https://git.example.com/a\tb',
    ])
      expect(await refused(store, client, url)).toMatch(/whitespace or control characters/);
    for (const url of ['git://git.example.com/a.git', 'ftp://git.example.com/a.git'])
      expect(await refused(store, client, url)).toMatch(/scheme/);
    expect(await refused(store, client, 'ssh://-oProxyCommand=x/a.git')).toMatch(/host/);
    expect(await refused(store, client, 'ssh://-oProxyCommand=x@git.example.com/a.git')).toMatch(
      /invalid user name/,
    );
    expect(await refused(store, client, 'u:pw@git.example.com:a.git')).toMatch(/user@host:path/);
    expect(await refused(store, client, 'file:///srv/a%2Fb.git')).toMatch(/not a valid file/);
    expect(await refused(store, client, 'ssh://u:pw@git.example.com/a.git')).toMatch(/password/);
    expect(await refused(store, client, 'https://u:a%0Ahost=evil@git.example.com/a.git')).toMatch(
      /credentials with control characters/,
    );
    expect(await refused(store, client, `https://git.example.com/${'a'.repeat(3000)}`)).toMatch(
      /longer than/,
    );
  });

  it('accepts https, ssh and scp-like URLs, storing them without credentials', async () => {
    const { client, store } = await lead();
    const ok = async (url: string) =>
      (await client.createProject({ prd: '# x', repoUrl: url })).project!;
    expect((await ok('  https://git.example.com/team/one.git\n')).repoUrl).toBe(
      'https://git.example.com/team/one.git',
    );
    expect((await ok('ssh://git@git.example.com:2222/team/two.git')).repoUrl).toBe(
      'ssh://git@git.example.com:2222/team/two.git',
    );
    expect((await ok('git@git.example.com:team/three.git')).repoUrl).toBe(
      'git@git.example.com:team/three.git',
    );
    const secret = await ok('https://alice:gh_t0ken%2Fx@git.example.com/team/four.git');
    expect(secret.repoUrl).toBe('https://git.example.com/team/four.git');
    expect(await store.getRepoCredentials(secret.id)).toEqual({
      username: 'alice',
      password: 'gh_t0ken/x',
    });
    const everything = JSON.stringify(
      [
        await client.listProjects({}),
        await client.getProject({ projectId: secret.id }),
        await client.getProjectSnapshot({ projectId: secret.id }),
      ],
      (_key, value) => (typeof value === 'bigint' ? String(value) : value),
    );
    expect(everything).not.toMatch(/gh_t0ken|alice/);
  });
});
