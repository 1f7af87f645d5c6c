import { createHash } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GitFailure, runGit, serialised, withoutCredentials } from '@codeframe/runtime';
import type { RepoAccess } from './project-repos.js';

// The lead's read-only copy of a project repository's main, for its map: a bare repository
// under <dataDir>/maps/<hash of url>.git into which main's last commit is fetched (depth 1,
// so a long history costs nothing). Being bare, it has no work tree for anything to run in.

/** main could not be read from the repository; the message names it. */
export class RepoSnapshotError extends Error {
  override name = 'RepoSnapshotError';
}

export interface RepoSnapshot {
  gitDir: string;
  /** The commit main pointed to when fetched. */
  sha: string;
}

/** Fetches main of the repository into the lead's bare copy; undefined when it has no main. */
export async function fetchMain(
  dataDir: string,
  repo: RepoAccess,
  signal?: AbortSignal,
): Promise<RepoSnapshot | undefined> {
  const hash = createHash('sha256').update(repo.url).digest('hex').slice(0, 16);
  const gitDir = resolve(dataDir, 'maps', `${hash}.git`);
  const shown = withoutCredentials(repo.url);
  return serialised(gitDir, async () => {
    try {
      if (!(await stat(join(gitDir, 'HEAD')).catch(() => null))) {
        await mkdir(gitDir, { recursive: true });
        await runGit(['init', '--quiet', '--bare', gitDir], { signal });
      }
      const heads = await runGit(['ls-remote', '--heads', repo.url, 'refs/heads/main'], {
        signal,
        credentials: repo.credentials,
      });
      if (!heads.trim()) return undefined;
      await runGit(
        [
          '--git-dir',
          gitDir,
          'fetch',
          '--quiet',
          '--no-tags',
          '--depth',
          '1',
          repo.url,
          '+refs/heads/main:refs/heads/main',
        ],
        { signal, credentials: repo.credentials },
      );
      const sha = await runGit(['--git-dir', gitDir, 'rev-parse', '--verify', 'main^{commit}']);
      return { gitDir, sha: sha.trim() };
    } catch (err) {
      if (!(err instanceof GitFailure)) throw err;
      throw new RepoSnapshotError(`could not read main of ${shown}: ${err.detail}`);
    }
  });
}
