import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changedSince,
  isSafeRefName,
  prepareWorktree,
  removeWorktree,
  WorkspaceError,
} from './git-workspace.js';
import { commitAll, pushBranch } from './workspace-commit.js';

const exec = promisify(execFile);
const IDENTITY = ['-c', 'user.name=Seeder', '-c', 'user.email=seed@example.com'];

async function git(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await exec('git', [...IDENTITY, ...args], { cwd });
  return stdout.trim();
}

let dir: string;
let bare: string;
let repoUrl: string;
let workDir: string;
let mainSha: string;

// A bare repository with `main` seeded by one commit from a temporary clone.
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'git-workspace-'));
  bare = join(dir, 'project.git');
  repoUrl = `file://${bare}`;
  workDir = join(dir, 'work');
  await git(['init', '--quiet', '--bare', '--initial-branch=main', bare]);
  const seed = join(dir, 'seed');
  await git(['clone', '--quiet', repoUrl, seed]);
  await writeFile(join(seed, 'README.md'), '# project\n');
  await git(['add', 'README.md'], seed);
  await git(['commit', '--quiet', '-m', 'seed'], seed);
  await git(['push', '--quiet', 'origin', 'HEAD:main'], seed);
  mainSha = await git(['rev-parse', 'HEAD'], seed);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function refusal(promise: Promise<unknown>): Promise<WorkspaceError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(WorkspaceError);
  return err as WorkspaceError;
}

describe('isSafeRefName', () => {
  it('takes branch names and shas, never an option, a range or a shell word', () => {
    for (const ref of ['main', 'task/t-1', 'attempts/t/2', 'v1.2', 'a3f9b9f2'])
      expect(isSafeRefName(ref), ref).toBe(true);
    for (const ref of ['', '-B', '--upload-pack=x', 'a..b', 'main;rm', 'a b', 'ref\n'])
      expect(isSafeRefName(ref), ref).toBe(false);
  });
});

describe('git workspace', () => {
  it('prepares a worktree on main, commits as CodeFRAME and pushes task/t1 to the repo', async () => {
    const ws = await prepareWorktree({
      repoUrl,
      baseRef: 'main',
      branch: 'task/t1',
      workDir,
    });
    const { path, baseSha } = ws;
    expect(baseSha).toBe(mainSha);
    expect(path.startsWith(join(workDir, 'worktrees', 'task-t1-'))).toBe(true);
    expect(await readFile(join(path, 'README.md'), 'utf8')).toBe('# project\n');
    expect(await git(['symbolic-ref', '--short', 'HEAD'], path)).toBe('task/t1');

    await writeFile(join(path, 'hello.ts'), 'export const hello = 1;\n');
    const commit = await commitAll(ws, 'Add hello');
    expect(commit?.filesChanged).toEqual(['hello.ts']);
    await pushBranch(ws, repoUrl, 'task/t1');

    const log = await git(['--git-dir', bare, 'log', '--format=%H %an <%ae> %s', 'task/t1']);
    expect(log.split('\n')).toEqual([
      `${commit?.sha} CodeFRAME <agent@codeframe.local> Add hello`,
      `${mainSha} Seeder <seed@example.com> seed`,
    ]);

    await removeWorktree(ws, 'task/t1');
    await expect(access(path)).rejects.toThrow();
    // Nothing of it is left in the mirror: no worktree entry, no local branch.
    await expect(access(ws.gitDir)).rejects.toThrow();
    expect(await git(['--git-dir', ws.commonDir, 'worktree', 'list', '--porcelain'])).not.toContain(
      path,
    );
    expect(await git(['--git-dir', ws.commonDir, 'branch', '--list', 'task/t1'])).toBe('');
  });

  it("lists the commit's paths exactly: changed, removed, added, and names git prints unquoted", async () => {
    const ws = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/t9', workDir });
    await writeFile(join(ws.path, 'README.md'), '# changed\n');
    await writeFile(join(ws.path, 'new file ü.ts'), '1\n');
    const plain = await commitAll(ws, 'plain');
    expect(plain?.filesChanged.sort()).toEqual(['README.md', 'new file ü.ts']);
    expect(plain?.sha).toBe(await git(['rev-parse', 'HEAD'], ws.path));
    await rm(join(ws.path, 'new file ü.ts'));
    // A name that would read as two entries of git's list, and one with a quote and a break.
    const forged = "x'\nadd 'README.md";
    const odd = 'we"ird\nname';
    await writeFile(join(ws.path, forged), 'forged\n');
    await writeFile(join(ws.path, odd), 'odd\n');
    const commit = await commitAll(ws, 'odd names');
    expect(commit?.filesChanged.sort()).toEqual([odd, 'new file ü.ts', forged].sort());
    expect(commit?.sha).toBe(await git(['rev-parse', 'HEAD'], ws.path));
    await removeWorktree(ws, 'task/t9');
  });

  it('returns null from commitAll when nothing changed', async () => {
    const ws = await prepareWorktree({
      repoUrl,
      baseRef: 'main',
      branch: 'task/t2',
      workDir,
    });
    expect(await commitAll(ws, 'nothing')).toBeNull();
    await removeWorktree(ws, 'task/t2');
  });

  it('starts from a commit sha, and replaces a stale branch of the same name', async () => {
    const first = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/t3', workDir });
    await writeFile(join(first.path, 'stale.txt'), 'stale\n');
    await commitAll(first, 'stale work');
    // The worker died here: its worktree is still on disk, holding the branch.
    const again = await prepareWorktree({
      repoUrl,
      baseRef: mainSha.slice(0, 12),
      branch: 'task/t3',
      workDir,
    });
    expect(again.baseSha).toBe(mainSha);
    expect(await git(['rev-parse', 'HEAD'], again.path)).toBe(mainSha);
    // The old worktree is left alone, detached at its own commit.
    expect(await git(['status', '--short', '--branch'], first.path)).toBe('## HEAD (no branch)');
    expect(await readFile(join(first.path, 'stale.txt'), 'utf8')).toBe('stale\n');
    await removeWorktree(first);
    await removeWorktree(again, 'task/t3');
  });

  it('leaves the branch to a later worktree of the task when the earlier one is removed', async () => {
    const first = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/r', workDir });
    // A re-dispatch took the branch over while the first attempt was still being cleaned up.
    const again = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/r', workDir });
    await removeWorktree(first, 'task/r');
    await writeFile(join(again.path, 'work.txt'), 'work\n');
    const commit = await commitAll(again, 'work');
    expect(await git(['rev-parse', `${commit!.sha}^`], again.path)).toBe(mainSha);
    await removeWorktree(again, 'task/r');
    expect(await git(['--git-dir', again.commonDir, 'branch', '--list', 'task/r'])).toBe('');
  });

  it('fetches branches pushed after the mirror was made', async () => {
    const seed = join(dir, 'seed');
    await writeFile(join(seed, 'later.txt'), 'later\n');
    await git(['add', 'later.txt'], seed);
    await git(['commit', '--quiet', '-m', 'later'], seed);
    await git(['push', '--quiet', 'origin', 'HEAD:feature/later'], seed);
    const ws = await prepareWorktree({
      repoUrl,
      baseRef: 'feature/later',
      branch: 'task/t4',
      workDir,
    });
    expect(ws.baseSha).toBe(await git(['rev-parse', 'HEAD'], seed));
    expect(await readFile(join(ws.path, 'later.txt'), 'utf8')).toBe('later\n');
    await removeWorktree(ws);
  });

  it('prepares two worktrees of the same repo at once', async () => {
    const freshWorkDir = join(dir, 'concurrent');
    const [a, b] = await Promise.all([
      prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/a', workDir: freshWorkDir }),
      prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/b', workDir: freshWorkDir }),
    ]);
    expect(a.path).not.toBe(b.path);
    expect(await git(['rev-parse', 'HEAD'], a.path)).toBe(mainSha);
    expect(await git(['rev-parse', 'HEAD'], b.path)).toBe(mainSha);
    await Promise.all([removeWorktree(a), removeWorktree(b)]);
  });

  it('says repo_unreachable, naming the URL, when the repo cannot be fetched', async () => {
    const url = 'file:///nonexistent/repo.git';
    const err = await refusal(
      prepareWorktree({ repoUrl: url, baseRef: 'main', branch: 'task/x', workDir }),
    );
    expect(err.code).toBe('repo_unreachable');
    expect(err.message).toMatch(/^could not fetch file:\/\/\/nonexistent\/repo\.git: fatal: /);
  });

  it('says unknown_base_ref, naming the ref and the URL, when the base does not exist', async () => {
    const err = await refusal(
      prepareWorktree({ repoUrl, baseRef: 'no-such-branch', branch: 'task/y', workDir }),
    );
    expect(err.code).toBe('unknown_base_ref');
    expect(err.message).toBe(
      `base ref "no-such-branch" does not exist in ${repoUrl}: give one of its branches, or a commit on one`,
    );
  });

  it('keeps no repository URL on disk, where a command could read a token in it', async () => {
    const ws = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/u', workDir });
    const config = await readFile(join(ws.commonDir, 'config'), 'utf8');
    expect(config).not.toContain(bare);
    await expect(access(join(ws.commonDir, 'FETCH_HEAD'))).rejects.toThrow();
    await removeWorktree(ws);
  });

  it('never commits dependency folders, even when .gitignore does not list them', async () => {
    const ws = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/deps', workDir });
    for (const dir of [
      'node_modules/left-pad',
      'web/node_modules/x',
      '.venv/bin',
      'src/__pycache__',
    ]) {
      await mkdir(join(ws.path, dir), { recursive: true });
      await writeFile(join(ws.path, dir, 'file.js'), 'x\n');
    }
    await writeFile(join(ws.path, 'index.js'), 'export {};\n');
    const commit = await commitAll(ws, 'code only');
    expect(commit?.filesChanged).toEqual(['index.js']);
    const tree = await git(['ls-tree', '-r', '--name-only', commit!.sha], ws.path);
    expect(tree.split('\n')).toEqual(['README.md', 'index.js']);
    await removeWorktree(ws);
  });

  it.each([
    [
      'replaced by a new repository',
      async (path: string) => {
        await rm(join(path, '.git'));
        await git(['init', '--quiet', path]);
      },
      /\.git was replaced/,
    ],
    [
      're-pointed with gitdir:',
      async (path: string) => {
        await writeFile(join(path, '.git'), `gitdir: ${join(dir, 'elsewhere.git')}\n`);
      },
      /\.git was re-pointed/,
    ],
    ['removed', async (path: string) => rm(join(path, '.git')), /\.git was removed/],
    [
      'given a nested repository',
      async (path: string) => {
        await git(['init', '--quiet', join(path, 'vendor', 'lib')]);
      },
      /vendor\/lib\/\.git is a git repository inside the worktree/,
    ],
  ])('refuses to commit a worktree whose .git was %s', async (_what, tamper, reason) => {
    const ws = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/tamper', workDir });
    await writeFile(join(ws.path, 'work.js'), 'export {};\n');
    await tamper(ws.path);
    const err = await refusal(commitAll(ws, 'tampered'));
    expect(err.code).toBe('git_tampered');
    expect(err.message).toMatch(reason);
    await removeWorktree(ws);
  });

  it("refuses to commit after the repository's config was changed", async () => {
    const ws = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/config', workDir });
    await git(['--git-dir', ws.commonDir, 'config', 'core.fsmonitor', 'touch /tmp/never']);
    const err = await refusal(commitAll(ws, 'armed'));
    expect(err.message).toMatch(/git config was changed/);
    await git(['--git-dir', ws.commonDir, 'config', '--unset', 'core.fsmonitor']);
    await removeWorktree(ws);
  });

  it('lists what changed since the checkout, or since an earlier commit, telling new files', async () => {
    const seed = join(dir, 'seed');
    await git(['fetch', '--quiet', 'origin', 'main'], seed);
    await git(['checkout', '--quiet', '--detach', 'FETCH_HEAD'], seed);
    await writeFile(join(seed, 'gone.txt'), 'soon deleted\n');
    await writeFile(join(seed, 'kept.test.mjs'), 'old\n');
    await git(['add', '.'], seed);
    await git(['commit', '--quiet', '-m', 'files to change'], seed);
    await git(['push', '--quiet', 'origin', 'HEAD:refs/heads/changes'], seed);
    const ws = await prepareWorktree({ repoUrl, baseRef: 'changes', branch: 'task/ch', workDir });
    await rm(join(ws.path, 'gone.txt'));
    await writeFile(join(ws.path, 'kept.test.mjs'), 'new\n');
    await mkdir(join(ws.path, 'src', 'node_modules'), { recursive: true });
    await writeFile(join(ws.path, 'src', 'node_modules', 'dep.js'), 'x\n');
    await writeFile(join(ws.path, 'src', 'new file.test.mjs'), 'x\n');
    const expected = [
      { path: 'kept.test.mjs', added: false },
      { path: 'src/new file.test.mjs', added: true },
    ];
    const sorted = (files: { path: string }[]) =>
      [...files].sort((a, b) => a.path.localeCompare(b.path));
    expect(sorted(await changedSince(ws, ws.baseSha))).toEqual(expected);
    // Since the commit before the base, the base's own files count as new too.
    const parent = await git(['rev-parse', `${ws.baseSha}^`], ws.path);
    expect(sorted(await changedSince(ws, parent))).toEqual([
      { path: 'kept.test.mjs', added: true },
      { path: 'src/new file.test.mjs', added: true },
    ]);
    // After a commit the checkout is that commit: the base is compared by diff.
    await commitAll(ws, 'changed');
    expect(sorted(await changedSince(ws, ws.baseSha))).toEqual(expected);
    await removeWorktree(ws, 'task/ch');
  });

  it('shares one fetch among tasks that arrive together, each seeing what was pushed before it', async () => {
    const seed = join(dir, 'seed');
    const shared = join(dir, 'shared-fetch');
    const push = async (name: string) => {
      await writeFile(join(seed, name), `${name}\n`);
      await git(['add', name], seed);
      await git(['commit', '--quiet', '-m', name], seed);
      await git(['push', '--quiet', '--force', 'origin', 'HEAD:refs/heads/moving'], seed);
      return git(['rev-parse', 'HEAD'], seed);
    };
    const first = await push('one.txt');
    const together = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        prepareWorktree({ repoUrl, baseRef: 'moving', branch: `task/s${id}`, workDir: shared }),
      ),
    );
    expect(together.map((ws) => ws.baseSha)).toEqual([first, first, first]);
    const second = await push('two.txt');
    const later = await prepareWorktree({
      repoUrl,
      baseRef: 'moving',
      branch: 'task/sd',
      workDir: shared,
    });
    expect(later.baseSha).toBe(second);
    await Promise.all([...together, later].map((ws) => removeWorktree(ws)));
  });

  it('rejects with the abort reason when cancelled', async () => {
    const reason = new Error('the task was cancelled');
    const options = {
      repoUrl,
      baseRef: 'main',
      branch: 'task/z',
      workDir,
      signal: AbortSignal.abort(reason),
    };
    await expect(prepareWorktree(options)).rejects.toBe(reason);
  });
});
