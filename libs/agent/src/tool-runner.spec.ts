// The file tools as a model could break them: every call must come back as a result, in
// bounded time and memory, whatever the worktree holds.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileToolRunner } from './test-worker.fixture.js';
import type { ToolRunner } from './tool-runner.js';

let dir: string;
let runner: ToolRunner;

beforeAll(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'tool-runner-')));
  await mkdir(join(dir, '.git'));
  runner = fileToolRunner(dir);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs a tool call with a bound: a call that hangs fails the test instead of the suite. */
async function call(name: string, input: Record<string, unknown>) {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name} did not return`)), 5_000);
  });
  try {
    return await Promise.race([runner.run(name, input), hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe('reads only regular files, bounded and without blocking', () => {
  it('refuses a FIFO instead of hanging on it', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    for (const name of ['read_file', 'edit_file']) {
      const result = await call(name, { path: 'pipe', old_text: 'a', new_text: 'b' });
      expect(result).toMatchObject({ isError: true });
      expect(result.content).toMatch(/pipe.*FIFO.*not a regular file/);
    }
    const written = await call('write_file', { path: 'pipe', content: 'x' });
    expect(written.isError).toBe(true);
    expect(written.content).toMatch(/pipe.*FIFO/);
  });

  it('reads a prefix of a huge sparse file, and will not load it whole to edit', async () => {
    const handle = await open(join(dir, 'sparse.bin'), 'w');
    await handle.truncate(560 * 1024 * 1024);
    await handle.write('tail', 560 * 1024 * 1024 - 4);
    await handle.close();
    const read = await call('read_file', { path: 'sparse.bin' });
    expect(read.isError).toBe(false);
    expect(read.content.length).toBeLessThanOrEqual(50_000);
    expect(read.content).toMatch(/truncated: read_file reads the first 8388608 of 587202560 bytes/);
    const edit = await call('edit_file', { path: 'sparse.bin', old_text: 'tail', new_text: 'x' });
    expect(edit.isError).toBe(true);
    expect(edit.content).toMatch(/"sparse\.bin" is 587202560 bytes.*too large for edit_file/);
    const search = await call('search', { pattern: 'tail' });
    expect(search.isError).toBe(false);
    await rm(join(dir, 'sparse.bin'));
  });

  it('pages through a file by lines, and cuts a long one in the middle saying how to see the rest', async () => {
    const lines = Array.from({ length: 20_000 }, (_, i) => `line ${i + 1}`);
    await writeFile(join(dir, 'long.txt'), `${lines.join('\n')}\n`);
    const page = await call('read_file', { path: 'long.txt', offset: 10, limit: 2 });
    expect(page).toEqual({
      content:
        'line 10\nline 11\n…(lines 10–11 of 20000; call read_file with offset 12 for the next)',
      isError: false,
    });
    const end = await call('read_file', { path: 'long.txt', offset: 19_999 });
    expect(end.content).toBe('line 19999\nline 20000\n…(lines 19999–20000 of 20000)');
    const whole = await call('read_file', { path: 'long.txt' });
    expect(whole.content.length).toBeLessThanOrEqual(50_000);
    expect(whole.content).toMatch(/^line 1\nline 2\n/);
    expect(whole.content).toMatch(/\nline 20000\n$/);
    const [, from, to] =
      /…\[cut: lines (\d+)–(\d+) of 20000 \(\d+ characters\) are not shown, the result being longer than 50000 characters; call read_file with "path": "long.txt" and "offset" and "limit" \(lines\) to read them\]…/.exec(
        whole.content,
      ) ?? [];
    // What is shown and what is said to be cut add up to the whole file.
    expect(whole.content).toContain(`\nline ${Number(from) - 1}\n`);
    expect(whole.content).toContain(`\nline ${Number(to) + 1}\n`);
    expect(whole.content).not.toContain(`\nline ${Number(from) + 1}\n`);
    for (const bad of [{ offset: 0 }, { limit: -1 }, { offset: '2' }]) {
      const refused = await call('read_file', { path: 'long.txt', ...bad });
      expect(refused.isError).toBe(true);
      expect(refused.content).toMatch(/must be a whole number of lines, 1 or more/);
    }
    const missing = await call('read_output', { id: 'out-9' });
    expect(missing).toEqual({
      content: 'no saved output "out-9": none is saved (the oldest are dropped after 20)',
      isError: true,
    });
    await rm(join(dir, 'long.txt'));
  });

  it('reads through no symlink swapped in for the file', async () => {
    await writeFile(join(dir, 'real.txt'), 'real');
    await symlink('real.txt', join(dir, 'link.txt'));
    // The guard resolves the link to its target inside the worktree: that one is fine.
    expect(await call('read_file', { path: 'link.txt' })).toEqual({
      content: 'real',
      isError: false,
    });
  });
});

describe('filesystem errors are results naming the path and the cause', () => {
  it('a name longer than the file system allows', async () => {
    const path = `${'n'.repeat(300)}.txt`;
    for (const [name, input] of [
      ['write_file', { path, content: 'x' }],
      ['read_file', { path }],
      ['edit_file', { path, old_text: 'a', new_text: 'b' }],
      ['list_files', { path }],
    ] as const) {
      const result = await call(name, input);
      expect(result.isError, name).toBe(true);
      expect(result.content, name).toMatch(/n{300}\.txt.*name .*too long/);
    }
  });

  it('a write below an existing file', async () => {
    await writeFile(join(dir, 'plain.txt'), 'x');
    const result = await call('write_file', { path: 'plain.txt/below.txt', content: 'y' });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/plain\.txt\/below\.txt.*plain\.txt is a file, not a folder/);
    expect(await readFile(join(dir, 'plain.txt'), 'utf8')).toBe('x');
  });

  it('a folder where a file is expected, and a missing file', async () => {
    await mkdir(join(dir, 'folder'), { recursive: true });
    expect((await call('read_file', { path: 'folder' })).content).toMatch(
      /"folder": it is a folder, not a file/,
    );
    expect((await call('write_file', { path: 'folder', content: 'x' })).content).toMatch(
      /"folder": it is a folder, not a file/,
    );
    expect((await call('read_file', { path: 'missing.txt' })).content).toMatch(
      /"missing\.txt": no such file or folder/,
    );
  });
});

describe('search runs in linear time', () => {
  it('a catastrophic pattern over a long line returns at once', async () => {
    // 2^36 steps for a backtracking engine, minutes with the event loop frozen; RE2 (which
    // refuses backreferences, below: so it is the engine in use) matches in linear time.
    await writeFile(join(dir, 'aaa.txt'), `${'a'.repeat(36)}b\n`);
    const result = await call('search', { pattern: '^(a+)+$' });
    expect(result).toEqual({ content: 'no matches', isError: false });
    expect((await call('search', { pattern: '^(a+)+b$' })).content).toMatch(/^aaa\.txt:1: a+b$/);
  });

  it('names what the engine does not support', async () => {
    const result = await call('search', { pattern: 'a(?=b)' });
    expect(result.isError).toBe(true);
    expect(result.content).toMatch(/not a valid RE2 pattern.*lookaround or backreferences/);
  });

  it('skips .git and node_modules without walking them, and bounds the listing', async () => {
    await mkdir(join(dir, 'node_modules', 'dep'), { recursive: true });
    await writeFile(join(dir, 'node_modules', 'dep', 'index.js'), 'needle');
    await writeFile(join(dir, '.git', 'config'), 'needle');
    await writeFile(join(dir, 'found.js'), 'needle');
    expect((await call('search', { pattern: 'needle' })).content).toBe('found.js:1: needle');
    const listing = (await call('list_files', {})).content.split('\n');
    expect(listing).toContain('found.js');
    expect(listing.some((f) => f.includes('node_modules') || f.includes('.git'))).toBe(false);
  });
});

describe('tool input', () => {
  it('a wrong type and an unknown tool are results', async () => {
    expect(await call('read_file', { path: 7 })).toEqual({
      content: '"path" must be a string',
      isError: true,
    });
    expect(await call('nope', {})).toEqual({ content: 'unknown tool "nope"', isError: true });
  });
});
