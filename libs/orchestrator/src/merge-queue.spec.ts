// The merge queue on a real repository with real merges; the test run is a stand-in that
// calls a tree red when it holds bad.txt (or cannot run at all), and counts its runs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  MainVerifiedSchema,
  type Project,
  type Task,
  VerifyCommitResponseSchema,
} from '@codeframe/proto';
import { createProjectRepo } from '@codeframe/repos';
import { testGit as git, pushTask } from '@codeframe/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GatedMerge, MergeQueue } from './merge-queue.js';
import type { Replica } from './worker-pool.js';

let dir: string;
let dataDir: string;
let url: string;
let bare: string;
/** The commits the stand-in test run was asked about, in order. */
let runs: string[];
let unrunnable = false;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'merge-queue-'));
  dataDir = join(dir, 'data');
  url = await createProjectRepo(dataDir, 'q1', 'Queue');
  bare = join(dataDir, 'repos', 'q1.git');
  runs = [];
  unrunnable = false;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function queue(maxBatch = 8, verifying = true) {
  return new MergeQueue({
    dataDir,
    maxBatch,
    verify: verifying ? verifyStandIn : undefined,
    verified: async (taskId, sha, result, reverted) =>
      create(MainVerifiedSchema, { taskId, commitSha: sha, passed: result.passed, reverted }),
  });
}

async function verifyStandIn(_project: Project, _repo: unknown, sha: string) {
  runs.push(sha);
  if (unrunnable)
    return create(VerifyCommitResponseSchema, { passed: false, error: 'no worker answered' });
  const bad = await git(['--git-dir', bare, 'ls-tree', '--name-only', sha, 'bad.txt']);
  return create(VerifyCommitResponseSchema, {
    passed: bad === '',
    commitSha: sha,
    summary: bad ? 'bad.txt is there' : 'all passed',
  });
}

/** Enqueues the merges of task branches t<n> (pushed first, each with its own file) at once. */
async function landAll(
  q: MergeQueue,
  names: string[],
  files = (n: string) => ({ [`${n}.txt`]: n }),
) {
  for (const n of names) await pushTask(dir, url, `task/${n}`, files(n));
  const project = { id: 'q1' } as Project;
  const repo = { url, policy: {} } as never;
  return Promise.all(
    names.map((n) =>
      q.enqueue(project, repo, { id: n } as Task, {} as Replica, {
        branch: `task/${n}`,
        message: `Merge ${n}`,
      }),
    ),
  );
}

const mainSha = () => git(['--git-dir', bare, 'rev-parse', 'main']);
const mergesOnMain = async () =>
  (await git(['--git-dir', bare, 'log', '--first-parent', '--merges', '--format=%s', 'main']))
    .split('\n')
    .filter(Boolean)
    .reverse();

describe('the merge queue', () => {
  it('lands merges that arrive together with one test run, main moving once to the tested tip', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const outcomes = await landAll(queue(), names);
    expect(outcomes.every((o) => o.merged && !o.red)).toBe(true);
    expect(runs).toHaveLength(1);
    expect(await mainSha()).toBe(runs[0]);
    // One merge commit per task, in the order they came, each on the one before.
    expect(await mergesOnMain()).toEqual(names.map((n) => `Merge ${n}`));
    const shas = outcomes.map((o) => (o.merged ? o.sha : ''));
    expect(shas.at(-1)).toBe(runs[0]);
  });

  it('splits a red batch down to the merge red on its own, takes it out and lands the rest', async () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const outcomes = await landAll(queue(), names, (n) =>
      n === 'f' ? { 'f.txt': 'f', 'bad.txt': 'x' } : { [`${n}.txt`]: n },
    );
    const red = outcomes.flatMap((o, i) => (o.red ? [names[i]] : []));
    expect(red).toEqual(['f']);
    expect(outcomes[5]).toMatchObject({ merged: true, red: { reverted: true, passed: false } });
    // Fewer runs than merges: 8 tested at once, then halves (about 2·log2(8)).
    expect(runs.length).toBeLessThan(names.length);
    expect(await mergesOnMain()).toEqual(names.filter((n) => n !== 'f').map((n) => `Merge ${n}`));
    expect(await git(['--git-dir', bare, 'ls-tree', '--name-only', 'main'])).not.toContain(
      'bad.txt',
    );
    // main only ever moved to a commit a run called green.
    const green = new Set(runs.filter((_, i) => i !== 0));
    expect(green.has(await mainSha())).toBe(true);
  });

  it('tells a conflict with the stack at once and lands the others', async () => {
    const q = queue();
    await pushTask(dir, url, 'task/x', { 'same.txt': 'x\n' });
    await pushTask(dir, url, 'task/y', { 'same.txt': 'y\n' });
    const project = { id: 'q1' } as Project;
    const repo = { url } as never;
    const merge = (n: string) => ({ branch: `task/${n}`, message: `Merge ${n}` });
    const [x, y] = await Promise.all(
      ['x', 'y'].map((n) => q.enqueue(project, repo, { id: n } as Task, {} as Replica, merge(n))),
    );
    expect(x).toMatchObject({ merged: true });
    expect(y).toMatchObject({ merged: false, conflict: true, files: ['same.txt'] });
    expect(runs).toHaveLength(1);
    expect(await mergesOnMain()).toEqual(['Merge x']);
  });

  it('takes a whole batch out when its tests cannot be run, saying why', async () => {
    unrunnable = true;
    const before = await mainSha();
    const outcomes: GatedMerge[] = await landAll(queue(), ['a', 'b', 'c']);
    for (const o of outcomes)
      expect(o).toMatchObject({
        base: before,
        red: { reverted: true },
        unverified: 'no worker answered',
      });
    expect(runs).toHaveLength(1);
    expect(await mainSha()).toBe(before);
  });

  it('without verification, merges a batch straight into main in order, telling a conflict and a missing branch', async () => {
    const q = queue(8, false);
    await pushTask(dir, url, 'task/x', { 'same.txt': 'x\n' });
    await pushTask(dir, url, 'task/y', { 'same.txt': 'y\n' });
    await pushTask(dir, url, 'task/z', { 'z.txt': 'z\n' });
    const before = await mainSha();
    const project = { id: 'q1' } as Project;
    const repo = { url } as never;
    const outcomes = await Promise.all(
      ['x', 'y', 'gone', 'z'].map((n) =>
        q
          .enqueue(project, repo, { id: n } as Task, {} as Replica, {
            branch: `task/${n}`,
            message: `Merge ${n}`,
          })
          .catch((err: Error) => err),
      ),
    );
    expect(runs).toHaveLength(0);
    expect(outcomes[0]).toMatchObject({ merged: true, base: before });
    expect(outcomes[1]).toMatchObject({ merged: false, conflict: true, files: ['same.txt'] });
    expect(outcomes[2]).toMatchObject({ code: 'unknown_branch' });
    // z's merge sits on x's: one merge commit per task, main moved to the last.
    const [x, , , z] = outcomes as GatedMerge[];
    expect(z).toMatchObject({ merged: true, base: x!.merged ? x!.sha : '' });
    expect(await mainSha()).toBe(z!.merged ? z!.sha : '');
    expect(await mergesOnMain()).toEqual(['Merge x', 'Merge z']);
  });

  it('tests at most maxBatch merges at once', async () => {
    await landAll(queue(2), ['a', 'b', 'c', 'd', 'e']);
    expect(runs).toHaveLength(3);
    expect(await mergesOnMain()).toEqual(['Merge a', 'Merge b', 'Merge c', 'Merge d', 'Merge e']);
  });
});
