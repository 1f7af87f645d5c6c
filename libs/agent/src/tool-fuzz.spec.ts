// Tool calls as a hostile or broken model makes them, seeded and bounded: every call must
// come back as a result, and nothing outside the worktree (or in its .git) may change.
// CODEFRAME_FUZZ_CASES runs more; CODEFRAME_FUZZ_SEED replays a run.
import { execFileSync } from 'node:child_process';
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzzCases, fuzzSeed, Rng } from '@codeframe/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileToolRunner } from './test-worker.fixture.js';

let dir: string;
let worktree: string;

const FILE_TOOLS = ['read_file', 'write_file', 'edit_file', 'list_files', 'search'];
const OTHER_NAMES = ['ask_human', 'finish', 'nope', '', '__proto__', 'read_file\0'];
const SEGMENTS = [
  '..',
  '.',
  '.git',
  '.GIT',
  '.git/config',
  'pipe',
  'out',
  'out/secret',
  'loop',
  'dangling',
  'sparse',
  'a',
  'a/b.txt',
  'plain.txt',
  'node_modules',
  '',
  '/',
  '/etc/passwd',
  '\0',
  'n'.repeat(300),
  '\u202e\u{1f600}',
  '%2e%2e',
  '~',
  '$HOME',
];
const PATTERNS = [
  '^(a+)+$',
  '(x+x+)+y',
  'a(?=b)',
  '(a)\\1',
  '[',
  '.*',
  '(?i)NEEDLE',
  '\\p{L}+',
  'a{1000}{1000}',
];

function path(rng: Rng): unknown {
  if (rng.chance(0.1)) return rng.value(1);
  const parts = Array.from({ length: 1 + rng.int(4) }, () =>
    rng.chance(0.8) ? rng.pick(SEGMENTS) : rng.text(12),
  );
  return parts.join(rng.chance(0.9) ? '/' : '\\');
}

function input(rng: Rng): Record<string, unknown> {
  const fields: Record<string, () => unknown> = {
    path: () => path(rng),
    content: () => (rng.chance(0.8) ? rng.text(200) : rng.value(2)),
    old_text: () => (rng.chance(0.5) ? 'needle' : rng.text(10)),
    new_text: () => rng.text(20),
    pattern: () => (rng.chance(0.7) ? rng.pick(PATTERNS) : rng.text(15)),
    question: () => rng.text(50),
    summary: () => rng.text(50),
  };
  const out: Record<string, unknown> = {};
  for (const [key, make] of Object.entries(fields)) if (rng.chance(0.6)) out[key] = make();
  // An own "__proto__" key, as JSON.parse makes from a model's tool input.
  if (rng.chance(0.05)) return { ...JSON.parse('{"__proto__":{"path":"out/secret"}}'), ...out };
  return out;
}

async function snapshot(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return Promise.all(
    entries
      .sort()
      .map(async (e) => `${e}=${await readFile(join(folder, e), 'utf8').catch(() => '')}`),
  );
}

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'tool-fuzz-')));
  worktree = join(dir, 'worktree');
  await mkdir(join(dir, 'outside'), { recursive: true });
  await writeFile(join(dir, 'outside', 'secret'), 'not the model’s');
  await mkdir(join(worktree, '.git'), { recursive: true });
  await writeFile(join(worktree, '.git', 'config'), '[core]\n');
  await mkdir(join(worktree, 'a'), { recursive: true });
  await writeFile(join(worktree, 'a', 'b.txt'), 'needle\n');
  await writeFile(join(worktree, 'plain.txt'), 'needle in plain\n');
  await writeFile(join(worktree, 'aaa.txt'), `${'a'.repeat(40)}b\n${'x'.repeat(40)}\n`);
  execFileSync('mkfifo', [join(worktree, 'pipe')]);
  await symlink(join(dir, 'outside'), join(worktree, 'out'));
  await symlink('loop', join(worktree, 'loop'));
  await symlink('nowhere', join(worktree, 'dangling'));
  const sparse = await open(join(worktree, 'sparse'), 'w');
  await sparse.truncate(600 * 1024 * 1024);
  await sparse.close();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it(
  'every tool call is a result, and nothing outside the worktree or in .git changes',
  async () => {
    const seed = fuzzSeed();
    const cases = fuzzCases(2000);
    console.log(`tool fuzz: ${cases} cases, seed ${seed} (CODEFRAME_FUZZ_SEED=${seed} replays)`);
    const rng = new Rng(seed);
    const outside = await snapshot(join(dir, 'outside'));
    const git = await snapshot(join(worktree, '.git'));
    const runner = fileToolRunner(worktree);
    const errors = new Map<string, number>();
    for (let n = 0; n < cases; n++) {
      const name = rng.chance(0.95) ? rng.pick(FILE_TOOLS) : rng.pick(OTHER_NAMES);
      const call = input(rng);
      const result = await runner.run(name, call);
      const where = `case ${n} (seed ${seed}): ${name} ${JSON.stringify(call).slice(0, 300)}`;
      expect(typeof result.content, where).toBe('string');
      expect(typeof result.isError, where).toBe('boolean');
      // An error the runner did not map to a sentence is a bug, even though it is a result.
      expect(result.content, where).not.toMatch(/failed inside the worker/);
      if (result.isError) {
        const kind = result.content.replace(/"[\s\S]*?"|\d+/g, '…').slice(0, 60);
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
      }
    }
    expect(await snapshot(join(dir, 'outside'))).toEqual(outside);
    expect(await snapshot(join(worktree, '.git'))).toEqual(git);
    // The fuzz reached the refusals it is meant to reach, not only one kind of error.
    expect(errors.size).toBeGreaterThan(5);
  },
  60_000 + fuzzCases(2000) * 20,
);
