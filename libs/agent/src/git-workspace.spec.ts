import { execFile } from 'node:child_process';
import { access, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commitAll,
  prepareWorktree,
  pushBranch,
  removeWorktree,
  WorkspaceError,
} from './git-workspace.js';

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

describe('git workspace', () => {
  it('prepares a worktree on main, commits as CodeFRAME and pushes task/t1 to the repo', async () => {
    const { path, baseSha } = await prepareWorktree({
      repoUrl,
      baseRef: 'main',
      branch: 'task/t1',
      workDir,
    });
    expect(baseSha).toBe(mainSha);
    expect(path.startsWith(join(workDir, 'worktrees', 'task-t1-'))).toBe(true);
    expect(await readFile(join(path, 'README.md'), 'utf8')).toBe('# project\n');
    expect(await git(['symbolic-ref', '--short', 'HEAD'], path)).toBe('task/t1');

    await writeFile(join(path, 'hello.ts'), 'export const hello = 1;\n');
    const commit = await commitAll(path, 'Add hello');
    expect(commit?.filesChanged).toEqual(['hello.ts']);
    await pushBranch(path, repoUrl, 'task/t1');

    const log = await git(['--git-dir', bare, 'log', '--format=%H %an <%ae> %s', 'task/t1']);
    expect(log.split('\n')).toEqual([
      `${commit?.sha} CodeFRAME <agent@codeframe.local> Add hello`,
      `${mainSha} Seeder <seed@example.com> seed`,
    ]);

    await removeWorktree(path);
    await expect(access(path)).rejects.toThrow();
  });

  it('returns null from commitAll when nothing changed', async () => {
    const { path } = await prepareWorktree({
      repoUrl,
      baseRef: 'main',
      branch: 'task/t2',
      workDir,
    });
    expect(await commitAll(path, 'nothing')).toBeNull();
    await removeWorktree(path);
  });

  it('starts from a commit sha, and replaces a stale branch of the same name', async () => {
    const first = await prepareWorktree({ repoUrl, baseRef: 'main', branch: 'task/t3', workDir });
    await writeFile(join(first.path, 'stale.txt'), 'stale\n');
    await commitAll(first.path, 'stale work');
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
    await removeWorktree(first.path);
    await removeWorktree(again.path);
  });

  it('fetches branches pushed after the mirror was made', async () => {
    const seed = join(dir, 'seed');
    await writeFile(join(seed, 'later.txt'), 'later\n');
    await git(['add', 'later.txt'], seed);
    await git(['commit', '--quiet', '-m', 'later'], seed);
    await git(['push', '--quiet', 'origin', 'HEAD:feature/later'], seed);
    const { path, baseSha } = await prepareWorktree({
      repoUrl,
      baseRef: 'feature/later',
      branch: 'task/t4',
      workDir,
    });
    expect(baseSha).toBe(await git(['rev-parse', 'HEAD'], seed));
    expect(await readFile(join(path, 'later.txt'), 'utf8')).toBe('later\n');
    await removeWorktree(path);
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
    await Promise.all([removeWorktree(a.path), removeWorktree(b.path)]);
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
