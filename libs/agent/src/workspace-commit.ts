import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { GitFailure, isPlainHttp, splitCredentials, withoutCredentials } from '@codeframe/runtime';
import {
  EXCLUDES,
  failure,
  headSha,
  verifyWorkspace,
  type Workspace,
  worktreeGit,
} from './git-workspace.js';

// Saving a worktree's work: one commit of everything but the dependency folders, and the
// push of the task's branch to the original repository.

/** Commits everything in the worktree as CodeFRAME, but dependency folders; null when
 * nothing changed. Two git processes: `add --verbose` names the paths it stages, and the
 * commit's sha is read from the branch's ref file afterwards. */
export async function commitAll(
  ws: Workspace,
  message: string,
  signal?: AbortSignal,
): Promise<{ sha: string; filesChanged: string[] } | null> {
  await verifyWorkspace(ws);
  try {
    const staged = await worktreeGit(
      ws,
      ['add', '--all', '--verbose', '--', '.', ...EXCLUDES],
      signal,
    );
    const text = message.trim() || 'Changes made by CodeFRAME';
    try {
      await worktreeGit(ws, ['commit', '--quiet', '--no-verify', '-m', text], signal);
    } catch (err) {
      // Status 1 with nothing staged: there is nothing to commit.
      if (err instanceof GitFailure && err.exit?.status === 1 && /nothing/.test(err.exit.stdout))
        return null;
      throw err;
    }
    const listed = await stagedPaths(ws.path, staged);
    const sha = await headSha(ws);
    if (listed && sha) return { sha, filesChanged: listed };
    // A name git's list cannot carry plainly (a quote before a line break): ask git.
    const shown = await worktreeGit(
      ws,
      ['show', '-z', '--name-only', '--no-ext-diff', '--format=%H', 'HEAD'],
      signal,
    );
    const end = shown.indexOf('\0');
    const files = shown
      .slice(end + 1)
      .replace(/^\n/, '')
      .split('\0');
    return { sha: shown.slice(0, end).trim(), filesChanged: files.filter(Boolean) };
  } catch (err) {
    throw failure('git_failed', `could not commit the changes in ${ws.path}`, err);
  }
}

/**
 * The paths `git add --verbose` staged, from its `add '<path>'` and `remove '<path>'` lines;
 * undefined when the list is not plain. git prints the names unquoted, so a name the model
 * chose with a quote and a line break could read as two: a line that does not parse, a
 * quote inside a name, a repeated path, an added path that is not there or a removed one
 * that is, and the caller asks git instead. (A forged pair of names that both exist
 * unchanged would still pass; the list is what the commit event shows, the commit is git's.)
 */
async function stagedPaths(worktree: string, output: string): Promise<string[] | undefined> {
  const entries: { path: string; added: boolean }[] = [];
  for (const line of output.split('\n')) {
    if (line === '') continue;
    const entry = /^(add|remove) '(.*)'$/s.exec(line);
    if (!entry || entry[2]!.includes("'")) return undefined;
    entries.push({ path: entry[2]!, added: entry[1] === 'add' });
  }
  const paths = entries.map((e) => e.path);
  if (new Set(paths).size !== paths.length) return undefined;
  for (const { path, added } of entries) {
    const there = await lstat(join(worktree, path)).then(
      () => true,
      () => false,
    );
    if (there !== added) return undefined;
  }
  return paths;
}

/** Pushes the worktree's HEAD to `branch` of the original repository, replacing it. */
export async function pushBranch(
  ws: Workspace,
  repoUrl: string,
  branch: string,
  signal?: AbortSignal,
): Promise<void> {
  await verifyWorkspace(ws);
  try {
    const target = `HEAD:refs/heads/${branch}`;
    const { url, credentials } = splitCredentials(repoUrl);
    await worktreeGit(ws, ['push', '--quiet', '--force', url, target], signal, {
      credentials,
      allowHttp: isPlainHttp(url),
    });
  } catch (err) {
    throw failure(
      'repo_unreachable',
      `could not push "${branch}" to ${withoutCredentials(repoUrl)}`,
      err,
    );
  }
}
