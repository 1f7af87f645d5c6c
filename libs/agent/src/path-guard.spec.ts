import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathEscapeError, resolveInWorktree } from './path-guard.js';

let root: string;
let outside: string;

beforeAll(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), 'path-guard-')));
  outside = await realpath(await mkdtemp(join(tmpdir(), 'path-guard-outside-')));
  await mkdir(join(root, 'src'));
  await mkdir(join(root, '.git'));
  await writeFile(join(root, 'src', 'a.ts'), 'export {};\n');
  await writeFile(join(outside, 'secret.txt'), 'secret\n');
  await symlink(join(outside, 'secret.txt'), join(root, 'secret-link'));
  await symlink(outside, join(root, 'out-dir'));
  await symlink(join(root, 'src'), join(root, 'src-link'));
  await symlink(join(root, '.git'), join(root, 'git-link'));
  await symlink(join(outside, 'nowhere.txt'), join(root, 'dangling'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function refusal(path: string): Promise<PathEscapeError> {
  const err = await resolveInWorktree(root, path).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PathEscapeError);
  expect((err as PathEscapeError).code).toBe('path_escape');
  return err as PathEscapeError;
}

describe('resolveInWorktree', () => {
  it('allows existing files and new nested paths whose folders do not exist yet', async () => {
    expect(await resolveInWorktree(root, 'src/a.ts')).toBe(join(root, 'src', 'a.ts'));
    expect(await resolveInWorktree(root, 'lib/deep/new/file.ts')).toBe(
      join(root, 'lib', 'deep', 'new', 'file.ts'),
    );
    expect(await resolveInWorktree(root, './src/../README.md')).toBe(join(root, 'README.md'));
    expect(await resolveInWorktree(root, '.')).toBe(root);
  });

  it('allows symlinks that stay inside the worktree', async () => {
    expect(await resolveInWorktree(root, 'src-link/a.ts')).toBe(join(root, 'src', 'a.ts'));
    expect(await resolveInWorktree(root, 'src-link/new/b.ts')).toBe(join(root, 'src/new/b.ts'));
  });

  it('refuses paths that leave the worktree with ..', async () => {
    const err = await refusal('../outside.txt');
    expect(err.message).toBe('path "../outside.txt" is outside the worktree');
    await refusal('src/../../x');
    await refusal('..');
  });

  it('refuses absolute paths', async () => {
    const err = await refusal('/etc/x');
    expect(err.message).toMatch(/"\/etc\/x" is absolute: give a path relative to the worktree/);
  });

  it('refuses a symlink to a file outside', async () => {
    const err = await refusal('secret-link');
    expect(err.message).toMatch(/"secret-link" is outside the worktree: it goes through a symlink/);
  });

  it('refuses paths under a symlinked folder outside, existing or not', async () => {
    await refusal('out-dir/secret.txt');
    await refusal('out-dir/new/deeper/file.txt');
  });

  it('refuses a symlink whose target does not exist, which a write would follow', async () => {
    const err = await refusal('dangling');
    expect(err.message).toMatch(/symlink whose target does not exist/);
  });

  it('refuses paths inside .git, directly or through a symlink', async () => {
    const err = await refusal('.git/config');
    expect(err.message).toBe(
      'path ".git/config" is inside .git, which the worker manages: use the files of the worktree',
    );
    await refusal('.git');
    await refusal('git-link/hooks/pre-commit');
    await refusal('vendor/lib/.git/HEAD');
  });
});
