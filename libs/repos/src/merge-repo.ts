import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GitCredentials, runGit, withoutCredentials } from '@codeframe/runtime';
import { looseHeads, rememberedTree, rememberTree } from './loose-refs.js';
import { failure } from './project-repo-error.js';

// Where the lead reads and moves a project's branches. A repository the lead created itself
// (<dataDir>/repos/<id>.git) is worked on in place: its refs are read with for-each-ref and
// moved by compare-and-swap with update-ref, and merge commits are written into its object
// store, with no clone, fetch or push. Any other repository (a user's remote, or a local path
// of theirs, whose hooks must run) goes through a clone the lead keeps for it under
// <dataDir>/merges/<hash of url>: fetched into, and pushed from. Either way nothing runs in
// a working tree.

export interface RepoOptions {
  /** Holds `repos/` (the lead's own repositories) and `merges/` (clones of the others). */
  dataDir: string;
  /** Any git URL: file:// for the repos the lead creates, or a user's own remote. */
  repoUrl: string;
  /** For a private remote; handed to git apart from the URL. */
  credentials?: GitCredentials;
  signal?: AbortSignal;
  /** Runs each move of a branch under the project's lease (Store.underLease): a lead that
   * lost the project can move nothing. */
  fence?: <T>(work: () => Promise<T>) => Promise<T>;
}

/** The shas of branches by name; `trees`: the tree of each one's commit, read with it. */
export class BranchHeads extends Map<string, string> {
  readonly trees = new Map<string, string>();
}

export interface MergeRepo {
  /** The git dir where commits are read and written. */
  gitDir: string;
  /** The shas of the named branches now (a remote's are fetched first); a missing one is
   * absent. Called before setBranch, which moves what it read. */
  heads(names: string[]): Promise<BranchHeads>;
  /**
   * Points branch `name` at commit `sha` (in gitDir): only if it is at `from` when given (a
   * compare-and-swap: false when it was not), else whatever it was. A refusal is
   * repo_unreachable with `sentence`.
   */
  setBranch(
    name: string,
    sha: string,
    from: string | undefined,
    sentence: string,
  ): Promise<boolean>;
}

/** The repository to work on; its git dir is also the key its merges are serialised by. */
export function openRepo(options: RepoOptions): MergeRepo {
  const own = ownRepo(options.dataDir, options.repoUrl);
  const repo = own
    ? inPlace(own, options)
    : throughClone(cloneOf(options.dataDir, options.repoUrl), options);
  const { fence } = options;
  if (!fence) return repo;
  return { ...repo, setBranch: (...args) => fence(() => repo.setBranch(...args)) };
}

/** The key merges into the repository are serialised by, one process-wide lock per repo. */
export function repoKey(options: RepoOptions): string {
  return ownRepo(options.dataDir, options.repoUrl) ?? cloneOf(options.dataDir, options.repoUrl);
}

/** The path of a repository the lead created (file://<dataDir>/repos/<name>.git), else undefined. */
function ownRepo(dataDir: string, repoUrl: string): string | undefined {
  if (!repoUrl.startsWith('file://')) return undefined;
  let path: string;
  try {
    path = fileURLToPath(repoUrl);
  } catch {
    return undefined;
  }
  const inside = relative(resolve(dataDir, 'repos'), path);
  return /^[^/]+\.git$/.test(inside) ? path : undefined;
}

function inPlace(gitDir: string, { repoUrl, signal }: RepoOptions): MergeRepo {
  const git = (args: string[]) => runGit(['--git-dir', gitDir, ...args], { signal });
  const heads = async (names: string[]) => {
    // The usual case (refs that update-ref and receive-pack wrote) needs no git process.
    const loose = await looseHeads(gitDir, names);
    if (loose) {
      const found = new BranchHeads(loose);
      for (const [name, sha] of loose) {
        const tree = rememberedTree(sha);
        if (tree) found.trees.set(name, tree);
      }
      return found;
    }
    let listing: string;
    try {
      const refs = names.map((name) => `refs/heads/${name}`);
      listing = await git(['for-each-ref', HEAD_FORMAT, ...refs]);
    } catch (err) {
      throw failure('repo_unreachable', `could not read the branches of ${repoUrl}`, err);
    }
    return headsOf(listing, names, / refs\/heads\/(.+)$/);
  };
  return {
    gitDir,
    heads,
    async setBranch(name, sha, from, sentence) {
      try {
        await git(['update-ref', `refs/heads/${name}`, sha, ...(from ? [from] : [])]);
        return true;
      } catch (err) {
        if (signal?.aborted) throw err;
        if (from && (await heads([name]).catch(() => undefined))?.get(name) !== from) return false;
        throw failure('repo_unreachable', sentence, err);
      }
    },
  };
}

function throughClone(clone: string, options: RepoOptions): MergeRepo {
  const { repoUrl, credentials, signal } = options;
  const gitDir = join(clone, '.git');
  return {
    gitDir,
    async heads(names) {
      // Asked first, so a missing branch is told apart from a repository out of reach (for
      // which no clone is made).
      const remote = await remoteHeads(repoUrl, names, signal, credentials);
      const present = names.filter((name) => remote.has(name));
      if (present.length === 0) return remote;
      await ensureClone(clone, repoUrl, signal);
      const refspecs = present.map((name) => `+refs/heads/${name}:refs/remotes/origin/${name}`);
      try {
        await runGit(
          ['--git-dir', gitDir, 'fetch', '--quiet', '--no-tags', 'origin', ...refspecs],
          {
            signal,
            credentials,
          },
        );
        const refs = present.map((name) => `refs/remotes/origin/${name}`);
        const listing = await runGit(['--git-dir', gitDir, 'for-each-ref', HEAD_FORMAT, ...refs], {
          signal,
        });
        return headsOf(listing, present, / refs\/remotes\/origin\/(.+)$/);
      } catch (err) {
        throw failure('repo_unreachable', `could not fetch ${withoutCredentials(repoUrl)}`, err);
      }
    },
    async setBranch(name, sha, from, sentence) {
      const target = `${sha}:refs/heads/${name}`;
      const how = from ? `--force-with-lease=refs/heads/${name}:${from}` : '--force';
      try {
        await runGit(
          ['--git-dir', gitDir, 'push', '--quiet', '--no-verify', how, 'origin', target],
          {
            signal,
            credentials,
          },
        );
        return true;
      } catch (err) {
        if (signal?.aborted) throw err;
        if (from) {
          const now = await remoteHeads(repoUrl, [name], signal, credentials).catch(
            () => undefined,
          );
          if (now && now.get(name) !== from) return false;
        }
        throw failure('repo_unreachable', sentence, err);
      }
    },
  };
}

/** Each ref's sha, its commit's tree (empty for a ref at anything but a commit) and name. */
const HEAD_FORMAT = '--format=%(objectname) %(tree) %(refname)';
const OID = /^[0-9a-f]{40,64}$/;

/** The heads in `listing` (lines of sha, optionally tree, and ref name; ls-remote's have no
 * tree) of the branches named. */
function headsOf(listing: string, names: string[], refname: RegExp): BranchHeads {
  const heads = new BranchHeads();
  for (const line of listing.split('\n')) {
    const [sha = '', tree = ''] = line.split(' ');
    const name = refname.exec(line.trim())?.[1];
    if (!name || !names.includes(name) || !OID.test(sha)) continue;
    heads.set(name, sha);
    if (!OID.test(tree)) continue;
    heads.trees.set(name, tree);
    rememberTree(sha, tree);
  }
  return heads;
}

/** The shas of the named branches in the repository; a missing branch is absent. */
export async function remoteHeads(
  repoUrl: string,
  names: string[],
  signal?: AbortSignal,
  credentials?: GitCredentials,
): Promise<BranchHeads> {
  let listing: string;
  try {
    const refs = names.map((name) => `refs/heads/${name}`);
    listing = await runGit(['ls-remote', '--heads', repoUrl, ...refs], { signal, credentials });
  } catch (err) {
    throw failure('repo_unreachable', `could not reach ${withoutCredentials(repoUrl)}`, err);
  }
  return headsOf(listing.replace(/\t/g, ' '), names, / refs\/heads\/(.+)$/);
}

function cloneOf(dataDir: string, repoUrl: string): string {
  const hash = createHash('sha256').update(repoUrl).digest('hex').slice(0, 16);
  return resolve(dataDir, 'merges', hash);
}

/** The clone, created on first use; a clone is only ever complete. Its working tree is never
 * used (clones made before merges went plumbing-only have one). */
async function ensureClone(clone: string, repoUrl: string, signal?: AbortSignal): Promise<void> {
  // The clone's place is named after the URL, so its origin is always that URL.
  if (await isRepo(join(clone, '.git'))) return;
  await mkdir(dirname(clone), { recursive: true });
  await rm(clone, { recursive: true, force: true });
  const partial = `${clone}.partial-${randomBytes(4).toString('hex')}`;
  try {
    await runGit(['init', '--quiet', '--initial-branch=main', partial], { signal });
    await runGit(['remote', 'add', 'origin', repoUrl], { cwd: partial, signal });
    await rename(partial, clone);
  } catch (err) {
    throw failure(
      'git_failed',
      `could not prepare a clone of ${withoutCredentials(repoUrl)} in ${clone}`,
      err,
    );
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

export async function isRepo(path: string): Promise<boolean> {
  return (await stat(join(path, 'HEAD')).catch(() => null)) !== null;
}
