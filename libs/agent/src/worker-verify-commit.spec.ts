// VerifyCommit: the lead's check that main stays green runs the project's tests on a fresh
// checkout of one commit, in the worker's sandbox, and leaves nothing behind.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from '@codeframe/fake-anthropic';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, repoMaker, startTestWorker, type TestWorker } from './test-worker.fixture.js';

const PKG = '{ "type": "module" }\n';
const nodeTest = (name: string, body: string) =>
  `import { test } from 'node:test';\nimport assert from 'node:assert/strict';\ntest(${JSON.stringify(name)}, () => { ${body} });\n`;

describe('WorkerService.VerifyCommit', () => {
  let dir: string;
  let worker: TestWorker;
  let repo: ReturnType<typeof repoMaker>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verify-'));
    // No model is called: a brain that answers is a sign something went wrong.
    worker = await startTestWorker(dir, { brain: () => ({ content: [text('unexpected')] }) });
    repo = repoMaker(dir);
  });
  afterAll(async () => {
    await worker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** The worker's checkouts left on disk (verify checkouts are removed after). */
  const checkouts = async () => readdir(join(dir, 'work', 'worktrees')).catch(() => []);

  it('passes a green commit with the counts, and fails a red one with the failing output', async () => {
    const url = repo({
      'package.json': PKG,
      'a.test.js': nodeTest('a', 'assert.equal(1, 1);'),
      'b.test.js': nodeTest('b', 'assert.equal(2, 2);'),
    });
    const green = await worker.verify({ repoUrl: url, ref: 'main' });
    expect(green.passed).toBe(true);
    expect(green.error).toBe('');
    expect(green.commitSha).toBe(git(['--git-dir', url.slice(7), 'rev-parse', 'main']));
    expect(green.tests).toMatchObject({ passed: 2, failed: 0, command: 'node --test' });
    expect(green.summary).toContain('2 passed');

    const red = repo({
      'package.json': PKG,
      'a.test.js': nodeTest('a', 'assert.equal(1, 1);'),
      'b.test.js': nodeTest('b is broken', "assert.equal('main', 'red');"),
    });
    const failed = await worker.verify({ repoUrl: red, ref: 'main' });
    expect(failed.passed).toBe(false);
    expect(failed.tests).toMatchObject({ passed: 1, failed: 1 });
    expect(failed.tests?.output).toContain('b is broken');
    expect(failed.summary).toContain('the tests still fail');
    expect(await checkouts()).toEqual([]);
    expect((await worker.describe()).load).toBe(0);
  });

  it('tests the commit it is given, not the branch head', async () => {
    const url = repo({ 'package.json': PKG, 'a.test.js': nodeTest('a', 'assert.ok(true);') });
    const bare = url.slice(7);
    const first = git(['--git-dir', bare, 'rev-parse', 'main']);
    // main moves on to a commit whose test fails; the first commit is still green.
    const seed = join(dir, 'moved');
    git(['clone', '-q', url, seed]);
    await writeFile(join(seed, 'a.test.js'), nodeTest('a', 'assert.ok(false);'));
    git(['-C', seed, 'add', '.']);
    git(['-C', seed, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'red']);
    git(['-C', seed, 'push', '-q', 'origin', 'main']);
    expect((await worker.verify({ repoUrl: url, ref: 'main' })).passed).toBe(false);
    const old = await worker.verify({ repoUrl: url, ref: first });
    expect(old).toMatchObject({ passed: true, commitSha: first });
  });

  it('does not pass a checkout whose test command ran no test', async () => {
    const url = repo({
      'package.json': JSON.stringify({ scripts: { test: 'node -e 0' } }),
      'x.test.js': '// not a test\n',
    });
    const run = await worker.verify({ repoUrl: url, ref: 'main' });
    expect(run.passed).toBe(false);
    expect(run.summary).toContain('no test ran');
  });

  it('passes a checkout with no test files, saying so', async () => {
    const run = await worker.verify({ repoUrl: repo(), ref: 'main' });
    expect(run).toMatchObject({ passed: true, summary: expect.stringContaining('no tests') });
  });

  it('reports a ref it cannot check out, and refuses a request without one', async () => {
    const missing = await worker.verify({ repoUrl: repo(), ref: 'nope' });
    expect(missing.passed).toBe(false);
    expect(missing.error).toContain('base ref "nope" does not exist');
    for (const ref of ['', '--upload-pack=x', 'a..b']) {
      const err = await worker.verify({ repoUrl: repo(), ref }).catch((e) => e);
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.InvalidArgument);
      expect((err as ConnectError).rawMessage).toMatch(/^ref: /);
    }
    expect(await checkouts()).toEqual([]);
  });
});
