import { execFileSync } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPAWN_CHANNEL } from '@codeframe/runtime';
import { testGit as git, pushTask as pushBranch } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  branchDiff,
  containsMain,
  createProjectRepo,
  keepBranch,
  type MergeOutcome,
  mainSha,
  mergeTaskBranch,
  mergeTaskBranches,
  moveBranch,
  plainBranchName,
} from './project-repo.js';
import { ProjectRepoError } from './project-repo-error.js';

let dir: string;
let dataDir: string;
let repoUrl: string;
let bare: string;
let startSha: string;

const pushTask = (branch: string, files: Record<string, string>, base = 'main', url = repoUrl) =>
  pushBranch(dir, url, branch, files, base);

const show = (path: string, ref = 'main') => git(['--git-dir', bare, 'show', `${ref}:${path}`]);

async function refusal(promise: Promise<unknown>): Promise<ProjectRepoError> {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ProjectRepoError);
  return err as ProjectRepoError;
}

function mergedSha(outcome: MergeOutcome): string {
  if (!outcome.merged) throw new Error(`expected a merge, got: ${outcome.message}`);
  return outcome.sha;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'project-repo-'));
  dataDir = join(dir, 'data');
  repoUrl = await createProjectRepo(dataDir, 'p1', 'Todo app');
  bare = join(dataDir, 'repos', 'p1.git');
  startSha = await mainSha(repoUrl);
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('createProjectRepo', () => {
  it('creates a bare repo whose main has one empty commit, and keeps it when asked again', async () => {
    expect(repoUrl).toBe(`file://${bare}`);
    expect(await git(['--git-dir', bare, 'rev-parse', '--is-bare-repository'])).toBe('true');
    expect(await git(['--git-dir', bare, 'symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    const log = await git(['--git-dir', bare, 'log', '--format=%H %an %s', 'main']);
    expect(log).toBe(`${startSha} CodeFRAME chore: start Todo app`);
    expect(await git(['--git-dir', bare, 'ls-tree', '-r', 'main'])).toBe('');

    const again = await createProjectRepo(dataDir, 'p1', 'Another name');
    expect(again).toBe(repoUrl);
    expect(await mainSha(repoUrl)).toBe(startSha);
    expect((await readdir(join(dataDir, 'repos'))).sort()).toEqual(['p1.git']);
  });

  it('refuses a project id that is not a plain name', async () => {
    await expect(createProjectRepo(dataDir, '../evil', 'x')).rejects.toThrow(ProjectRepoError);
  });
});

describe('mergeTaskBranch', () => {
  it('merges two task branches into main with one merge commit each and pushes main', async () => {
    const a = await pushTask('task/a', { 'a.txt': 'alpha\n' });
    const b = await pushTask('task/b', { 'b.txt': 'beta\n' });

    const first = mergedSha(
      await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/a', message: 'Merge task a' }),
    );
    expect(await mainSha(repoUrl)).toBe(first);
    const second = mergedSha(
      await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/b', message: 'Merge task b' }),
    );
    expect(await mainSha(repoUrl)).toBe(second);

    expect(await show('a.txt')).toBe('alpha');
    expect(await show('b.txt')).toBe('beta');
    const merges = await git(['--git-dir', bare, 'log', '--merges', '--format=%H %P|%s', 'main']);
    expect(merges.split('\n')).toEqual([
      `${second} ${first} ${b}|Merge task b`,
      `${first} ${startSha} ${a}|Merge task a`,
    ]);
    // The lead's own repository is merged in place: no clone, no working tree.
    await expect(readdir(join(dataDir, 'merges'))).rejects.toThrow(/ENOENT/);
  });

  it('moves main only under the fence it is given: a lead that lost the project merges nothing', async () => {
    const own = await createProjectRepo(dataDir, 'p-fenced', 'Fenced');
    await pushTask('task/fenced', { 'fenced.txt': 'stale\n' }, 'main', own);
    const before = await mainSha(own);
    const lost = new Error('lead "a" does not own project "p1"');
    let asked = 0;
    const err = await mergeTaskBranch({
      dataDir,
      repoUrl: own,
      branch: 'task/fenced',
      message: 'Merge task fenced',
      fence: async () => {
        asked++;
        throw lost;
      },
    }).catch((e: unknown) => e);
    expect(err).toBe(lost);
    expect(asked).toBe(1);
    expect(await mainSha(own)).toBe(before);
    // Under a fence that holds, the same merge goes through.
    const merged = await mergeTaskBranch({
      dataDir,
      repoUrl: own,
      branch: 'task/fenced',
      message: 'Merge task fenced',
      fence: (work) => work(),
    });
    expect(await mainSha(own)).toBe(mergedSha(merged));
  });

  it('counts a branch already in main as merged, without a new commit', async () => {
    const before = await mainSha(repoUrl);
    const again = await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/a', message: 'again' });
    expect(again).toEqual({ merged: true, sha: before, base: before });
    expect(await mainSha(repoUrl)).toBe(before);
  });

  it('reports a conflict with the file names, pushes nothing and leaves nothing behind', async () => {
    // Planned alongside task/a, from the first commit, and writes the same line of a.txt.
    await pushTask('task/c', { 'a.txt': 'gamma\n', 'c.txt': 'c\n' }, startSha);
    const before = await mainSha(repoUrl);

    const outcome = await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/c', message: 'c' });
    expect(outcome).toMatchObject({ merged: false, conflict: true, files: ['a.txt'] });
    // Nothing of it is a ref: the merge was only ever objects.
    expect(await git(['--git-dir', bare, 'for-each-ref', '--format=%(refname)'])).not.toMatch(
      /MERGE|merge-/,
    );
    if (outcome.merged) return;
    expect(outcome.message).toContain('task/c');
    expect(outcome.message).toContain('a.txt');
    expect(await mainSha(repoUrl)).toBe(before);
    expect(await show('a.txt')).toBe('alpha');

    // The next merge starts clean from the repository's main.
    await pushTask('task/d', { 'd.txt': 'delta\n' });
    const next = mergedSha(
      await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/d', message: 'd' }),
    );
    expect(await git(['--git-dir', bare, 'rev-parse', `${next}^1`])).toBe(before);
    expect(await git(['--git-dir', bare, 'ls-tree', '--name-only', 'main'])).toBe(
      ['a.txt', 'b.txt', 'd.txt'].join('\n'),
    );
  });

  it('says "unknown_branch" for a branch the repo does not have', async () => {
    const before = await mainSha(repoUrl);
    const err = await refusal(
      mergeTaskBranch({ dataDir, repoUrl, branch: 'task/missing', message: 'm' }),
    );
    expect(err.code).toBe('unknown_branch');
    expect(err.message).toContain('task/missing');
    expect(err.message).toContain(repoUrl);
    expect(await mainSha(repoUrl)).toBe(before);
  });

  it('says "repo_unreachable" for a repository that is not there', async () => {
    const missing = `file://${join(dir, 'nowhere.git')}`;
    const err = await refusal(
      mergeTaskBranch({ dataDir, repoUrl: missing, branch: 'task/a', message: 'm' }),
    );
    expect(err.code).toBe('repo_unreachable');
    expect(err.message).toContain(missing);
    expect((await refusal(mainSha(missing))).code).toBe('repo_unreachable');
  });

  it('serialises concurrent merges into one repo so they all succeed', async () => {
    const names = ['e', 'f', 'g', 'h'];
    const mergesBefore = (
      await git(['--git-dir', bare, 'log', '--merges', '--format=%H', 'main'])
    ).split('\n').length;
    const tips = await Promise.all(names.map((n) => pushTask(`task/${n}`, { [`${n}.txt`]: n })));
    const outcomes = await Promise.all(
      names.map((n) =>
        mergeTaskBranch({ dataDir, repoUrl, branch: `task/${n}`, message: `Merge ${n}` }),
      ),
    );
    const shas = outcomes.map(mergedSha);
    expect(new Set(shas).size).toBe(names.length);
    expect(await mainSha(repoUrl)).toBe(shas.at(-1));

    const files = await git(['--git-dir', bare, 'ls-tree', '--name-only', 'main']);
    for (const n of names) expect(files.split('\n')).toContain(`${n}.txt`);
    const merged = await git(['--git-dir', bare, 'log', '--merges', '--format=%P', 'main']);
    for (const tip of tips) expect(merged).toContain(tip);
    expect(merged.split('\n')).toHaveLength(mergesBefore + names.length);
  }, 90_000);

  it('stops when its signal is aborted', async () => {
    await pushTask('task/j', { 'j.txt': 'j' });
    const controller = new AbortController();
    controller.abort(new Error('stopped'));
    const merge = mergeTaskBranch({
      dataDir,
      repoUrl,
      branch: 'task/j',
      message: 'j',
      signal: controller.signal,
    });
    await expect(merge).rejects.toThrow('stopped');
  });
});

/** The git commands (`merge-tree`, ...) the lead ran during `work`, in order. */
async function gitCommands(work: () => Promise<unknown>): Promise<string[]> {
  const commands: string[] = [];
  const seen = (message: unknown) => {
    const { file, args } = message as { file: string; args: string[] };
    if (file !== 'git') return;
    let i = 0;
    while (args[i] === '-c' || args[i] === '--git-dir') i += 2;
    commands.push(args[i]!);
  };
  diagnostics.subscribe(SPAWN_CHANNEL, seen);
  try {
    await work();
  } finally {
    diagnostics.unsubscribe(SPAWN_CHANNEL, seen);
  }
  return commands;
}

describe('the git processes of a merge', () => {
  let own: string;
  let ownBare: string;
  beforeAll(async () => {
    own = await createProjectRepo(dataDir, 'p-processes', 'Processes');
    ownBare = join(dataDir, 'repos', 'p-processes.git');
  });
  const merge = (branch: string) =>
    mergeTaskBranch({ dataDir, repoUrl: own, branch, message: `Merge ${branch}` });

  it('are three for a branch with work of its own: heads from their ref files, no merge-base', async () => {
    await pushTask('task/own', { 'own.txt': 'own\n' }, 'main', own);
    const base = await mainSha(own);
    let outcome: MergeOutcome | undefined;
    const ran = await gitCommands(async () => {
      outcome = await merge('task/own');
    });
    expect(ran).toEqual(['merge-tree', 'commit-tree', 'update-ref']);
    expect(outcome).toMatchObject({ merged: true, base });
    expect(await mainSha(own)).toBe(mergedSha(outcome!));
  });

  it('ask merge-base when the merge leaves main as it is: a branch in main is merged at main', async () => {
    const before = await mainSha(own);
    let outcome: MergeOutcome | undefined;
    const ran = await gitCommands(async () => {
      outcome = await merge('task/own');
    });
    expect(ran).toEqual(['merge-tree', 'merge-base']);
    expect(outcome).toEqual({ merged: true, sha: before, base: before });
    expect(await mainSha(own)).toBe(before);
  });

  it('still give a merge commit to a branch whose changes main has by commits of its own', async () => {
    // The same file as task/own wrote, by another commit: main's tree does not change.
    const sha = await pushTask('task/same', { 'own.txt': 'own\n' }, 'main~1', own);
    const before = await mainSha(own);
    let outcome: MergeOutcome | undefined;
    const ran = await gitCommands(async () => {
      outcome = await merge('task/same');
    });
    expect(ran).toEqual(['merge-tree', 'merge-base', 'commit-tree', 'update-ref']);
    const merged = mergedSha(outcome!);
    expect(await git(['--git-dir', ownBare, 'rev-parse', `${merged}^1`, `${merged}^2`])).toBe(
      `${before}\n${sha}`,
    );
    expect(await mainSha(own)).toBe(merged);
  });

  it('read the heads once and move main once for merges that wait together', async () => {
    await pushTask('task/x', { 'x.txt': 'x\n' }, 'main', own);
    await pushTask('task/y', { 'y.txt': 'y\n' }, 'main', own);
    const base = await mainSha(own);
    let outcomes: Awaited<ReturnType<typeof mergeTaskBranches>> = [];
    const ran = await gitCommands(async () => {
      outcomes = await mergeTaskBranches({
        dataDir,
        repoUrl: own,
        items: [
          { branch: 'task/x', message: 'Merge x' },
          { branch: 'task/y', message: 'Merge y' },
        ],
      });
    });
    expect(ran).toEqual(['merge-tree', 'commit-tree', 'merge-tree', 'commit-tree', 'update-ref']);
    const [x, y] = outcomes as MergeOutcome[];
    expect(x).toMatchObject({ merged: true, base });
    expect(y).toMatchObject({ merged: true, base: mergedSha(x!) });
    expect(await mainSha(own)).toBe(mergedSha(y!));
    expect(await git(['--git-dir', ownBare, 'show', 'main:x.txt'])).toBe('x');
  });
});

describe('heads git keeps elsewhere than in ref files of their own', () => {
  it('are read by git: packed refs, a symbolic ref, a missing branch', async () => {
    const own = await createProjectRepo(dataDir, 'p-packed', 'Packed');
    const ownBare = join(dataDir, 'repos', 'p-packed.git');
    const tip = await pushTask('task/packed', { 'packed.txt': 'packed\n' }, 'main', own);
    await git(['--git-dir', ownBare, 'pack-refs', '--all']);
    const base = await mainSha(own);
    let outcome: MergeOutcome | undefined;
    const ran = await gitCommands(async () => {
      outcome = await mergeTaskBranch({
        dataDir,
        repoUrl: own,
        branch: 'task/packed',
        message: 'm',
      });
    });
    expect(ran[0]).toBe('for-each-ref');
    const merged = mergedSha(outcome!);
    expect(await git(['--git-dir', ownBare, 'rev-parse', `${merged}^1`, `${merged}^2`])).toBe(
      `${base}\n${tip}`,
    );
    // A symbolic ref is git's to resolve, not a file of a sha: here, one to task/packed.
    await git([
      '--git-dir',
      ownBare,
      'symbolic-ref',
      'refs/heads/task/alias',
      'refs/heads/task/packed',
    ]);
    const again = await mergeTaskBranch({
      dataDir,
      repoUrl: own,
      branch: 'task/alias',
      message: 'm',
    });
    expect(again).toEqual({ merged: true, sha: merged, base: merged });
    const missing = await refusal(
      mergeTaskBranch({ dataDir, repoUrl: own, branch: 'task/none', message: 'm' }),
    );
    expect(missing.code).toBe('unknown_branch');
  });
});

describe('keepBranch and containsMain', () => {
  it("copies a task branch's own work to an attempt branch, and nothing that is already in main", async () => {
    const work = await pushTask('task/kept', { 'kept.txt': 'half done\n' });
    const to = 'attempts/kept/1';
    expect(await keepBranch({ dataDir, repoUrl, from: 'task/kept', to })).toBe(work);
    expect(await show('kept.txt', to)).toBe('half done');
    expect(await containsMain({ dataDir, repoUrl, branch: to })).toBe(true);
    // main moves on: the kept work no longer contains it.
    mergedSha(await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/kept', message: 'k' }));
    await pushTask('task/other', { 'other.txt': 'o\n' });
    mergedSha(await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/other', message: 'o' }));
    expect(await containsMain({ dataDir, repoUrl, branch: to })).toBe(false);
    // A branch main already has, or one that does not exist, leaves nothing to keep.
    expect(await keepBranch({ dataDir, repoUrl, from: 'task/kept', to: 'attempts/kept/2' })).toBe(
      null,
    );
    expect(await keepBranch({ dataDir, repoUrl, from: 'task/none', to: 'attempts/none/1' })).toBe(
      null,
    );
    expect(await containsMain({ dataDir, repoUrl, branch: 'attempts/none/1' })).toBe(false);
    await expect(
      git(['--git-dir', bare, 'rev-parse', '--verify', '-q', 'attempts/kept/2']),
    ).rejects.toThrow();
  });

  it('refuses a branch name git would not take', async () => {
    const err = await refusal(keepBranch({ dataDir, repoUrl, from: 'task/a', to: 'attempts/..' }));
    expect(err.code).toBe('unknown_branch');
  });
});

describe('branchDiff', () => {
  it('is what a branch changes from where it left main, even after main moved on; null when missing', async () => {
    await pushTask('task/diffed', { 'diffed.js': 'export const d = 1;\n' });
    await pushTask('task/moved', { 'moved.txt': 'm\n' });
    mergedSha(await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/moved', message: 'm' }));
    const diff = await branchDiff({ dataDir, repoUrl, branch: 'task/diffed' });
    expect(diff?.patch).toContain('+++ b/diffed.js\n@@ -0,0 +1 @@\n+export const d = 1;');
    expect(diff?.patch).not.toContain('moved.txt');
    expect(diff?.numstat).toBe('1\t0\tdiffed.js\n');
    expect(await branchDiff({ dataDir, repoUrl, branch: 'task/none' })).toBeNull();
  });
});

describe('moveBranch', () => {
  it('moves main back to its commit before a merge, and never rewinds a main that moved on', async () => {
    await pushTask('task/red', { 'red.txt': 'red\n' });
    const before = await mainSha(repoUrl);
    const merge = await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/red', message: 'red' });
    expect(merge).toMatchObject({ merged: true, base: before });
    const merged = mergedSha(merge);
    await moveBranch({ dataDir, repoUrl, name: 'main', from: merged, to: before });
    expect(await mainSha(repoUrl)).toBe(before);
    // The branch keeps the work, and merges again as a new merge.
    expect(await show('red.txt', 'task/red')).toBe('red');
    const again = mergedSha(
      await mergeTaskBranch({ dataDir, repoUrl, branch: 'task/red', message: 'again' }),
    );
    expect(again).not.toBe(before);
    // main is no longer at `before`: the swap is refused and main stays where it is.
    const err = await refusal(
      moveBranch({ dataDir, repoUrl, name: 'main', from: before, to: startSha }),
    );
    expect(err.message).toContain('could not move main');
    expect(await mainSha(repoUrl)).toBe(again);
    await refusal(moveBranch({ dataDir, repoUrl, name: 'main', from: 'HEAD', to: startSha }));
  });
});

describe("a repository of the user's, merged through the lead's clone", () => {
  let url: string;
  let path: string;
  let start: string;
  const showIn = (file: string, ref = 'main') => git(['--git-dir', path, 'show', `${ref}:${file}`]);
  beforeAll(async () => {
    // Outside <dataDir>/repos: not the lead's own, so its hooks run and it is pushed to.
    url = await createProjectRepo(join(dir, 'elsewhere'), 'u1', 'User repo');
    path = join(dir, 'elsewhere', 'repos', 'u1.git');
    start = await mainSha(url);
  });

  it('merges with one merge commit per task, pushing main from a clone', async () => {
    const a = await pushTask('task/ua', { 'ua.txt': 'ua\n' }, 'main', url);
    const first = mergedSha(
      await mergeTaskBranch({ dataDir, repoUrl: url, branch: 'task/ua', message: 'Merge ua' }),
    );
    expect(await mainSha(url)).toBe(first);
    expect(await git(['--git-dir', path, 'log', '--format=%P|%s', '-1', 'main'])).toBe(
      `${start} ${a}|Merge ua`,
    );
    expect(await readdir(join(dataDir, 'merges'))).toHaveLength(1);
    // A conflict leaves main as it was.
    await pushTask('task/uc', { 'ua.txt': 'other\n' }, start, url);
    const conflict = await mergeTaskBranch({
      dataDir,
      repoUrl: url,
      branch: 'task/uc',
      message: 'c',
    });
    expect(conflict).toMatchObject({ merged: false, files: ['ua.txt'] });
    expect(await mainSha(url)).toBe(first);
  });

  it('ignores what an interrupted attempt left in the working tree of its clone', async () => {
    const [name] = await readdir(join(dataDir, 'merges'));
    const clone = join(dataDir, 'merges', name!);
    await git(['checkout', '--quiet', '-B', 'main', 'refs/remotes/origin/main'], clone);
    await writeFile(join(clone, 'ua.txt'), 'scribbled\n');
    await writeFile(join(clone, 'stray.txt'), 'stray\n');
    await git(['commit', '--quiet', '--allow-empty', '-m', 'local only'], clone);
    await pushTask('task/uk', { 'uk.txt': 'k\n' }, 'main', url);
    const before = await mainSha(url);
    const sha = mergedSha(
      await mergeTaskBranch({ dataDir, repoUrl: url, branch: 'task/uk', message: 'k' }),
    );
    expect(await git(['--git-dir', path, 'rev-parse', `${sha}^1`])).toBe(before);
    expect(await showIn('ua.txt')).toBe('ua');
    expect(await git(['--git-dir', path, 'ls-tree', '--name-only', 'main'])).not.toContain('stray');
  });

  it("says repo_unreachable when the repository's hook refuses main, and moves nothing", async () => {
    await pushTask('task/uh', { 'uh.txt': 'h\n' }, 'main', url);
    const before = await mainSha(url);
    const hook = join(path, 'hooks', 'pre-receive');
    await writeFile(
      hook,
      '#!/bin/sh\nwhile read old new ref; do [ "$ref" = refs/heads/main ] && { echo "main is protected" >&2; exit 1; }; done\nexit 0\n',
      { mode: 0o755 },
    );
    try {
      const err = await refusal(
        mergeTaskBranch({ dataDir, repoUrl: url, branch: 'task/uh', message: 'h' }),
      );
      expect(err.code).toBe('repo_unreachable');
      expect(err.message).toMatch(/could not move main of .* to the merge: .*main is protected/);
      expect(await mainSha(url)).toBe(before);
    } finally {
      await rm(hook);
    }
  });

  it('moves main back by a push with a lease, never over a main that moved on', async () => {
    await pushTask('task/ur', { 'ur.txt': 'r\n' }, 'main', url);
    const before = await mainSha(url);
    const merged = mergedSha(
      await mergeTaskBranch({ dataDir, repoUrl: url, branch: 'task/ur', message: 'r' }),
    );
    await moveBranch({ dataDir, repoUrl: url, name: 'main', from: merged, to: before });
    expect(await mainSha(url)).toBe(before);
    const err = await refusal(
      moveBranch({ dataDir, repoUrl: url, name: 'main', from: merged, to: start }),
    );
    expect(err.message).toContain('could not move main');
    expect(await mainSha(url)).toBe(before);
  });
});

describe('plainBranchName', () => {
  it("takes only names git's check-ref-format takes too, so they need no git call", () => {
    const plain = [
      'main',
      'task/3f2a9c1e-0b7d-4e2a-9c1e-0b7d4e2a9c1e',
      'attempts/t-1/2',
      'codeframe/merge-queue',
      'v1.2',
      'a.b/c_d',
    ];
    // Names git refuses, and some it takes ('-x', 'ü') that are left for git to judge.
    const others = ['x.lock', 'a..b', '.hidden', 'a/.b', 'a.', 'a/', '/a', 'a//b', 'a b'];
    others.push('a@{1}', 'a~1', '-x', 'ü', '');
    for (const name of plain) {
      expect(plainBranchName(name), name).toBe(true);
      // Whatever the fast path takes, git takes too.
      expect(
        () => execFileSync('git', ['check-ref-format', `refs/heads/${name}`]),
        name,
      ).not.toThrow();
    }
    for (const name of others) expect(plainBranchName(name), name).toBe(false);
  });
});
