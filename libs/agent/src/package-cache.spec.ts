import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedNpmCache } from './package-cache.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'package-cache-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Writes one cacache entry (index bucket and content) the way npm does. */
async function put(cache: string, key: string, content: string): Promise<string> {
  const digest = createHash('sha512').update(content).digest();
  const integrity = `sha512-${digest.toString('base64')}`;
  const hex = digest.toString('hex');
  const contentPath = join(
    cache,
    'content-v2',
    'sha512',
    hex.slice(0, 2),
    hex.slice(2, 4),
    hex.slice(4),
  );
  await mkdir(dirname(contentPath), { recursive: true });
  await writeFile(contentPath, content);
  const bucket = createHash('sha256').update(key).digest('hex');
  const bucketPath = join(
    cache,
    'index-v5',
    bucket.slice(0, 2),
    bucket.slice(2, 4),
    bucket.slice(4),
  );
  const entry = JSON.stringify({ key, integrity, time: 1, size: content.length, metadata: {} });
  await mkdir(dirname(bucketPath), { recursive: true });
  await writeFile(bucketPath, `\n${createHash('sha1').update(entry).digest('hex')}\t${entry}`);
  return contentPath;
}

describe('seedNpmCache', () => {
  it("copies a package's metadata and tarballs, and only the packages asked for", async () => {
    const from = join(dir, 'from');
    const to = join(dir, 'to');
    const key = (url: string) =>
      `make-fetch-happen:request-cache:https://registry.npmjs.org/${url}`;
    const meta = await put(from, key('minimist'), '{"name":"minimist"}');
    const tarball = await put(from, key('minimist/-/minimist-1.2.8.tgz'), 'tarball bytes');
    const scoped = await put(from, key('@types%2fnode'), '{"name":"@types/node"}');
    await put(from, key('@types/node/-/node-20.0.0.tgz'), 'types tarball');
    const other = await put(from, key('left-pad'), '{"name":"left-pad"}');
    const result = await seedNpmCache(from, to, ['minimist', '@types/node', 'is-odd']);
    expect(result).toEqual({ seeded: ['minimist', '@types/node'], missing: ['is-odd'] });
    for (const file of [meta, tarball, scoped]) {
      expect(await readFile(file.replace(from, to), 'utf8')).toBe(await readFile(file, 'utf8'));
    }
    await expect(readFile(other.replace(from, to))).rejects.toThrow();
  });

  it('writes nothing outside the cache through links a command planted in it', async () => {
    // The cache is shared with sandboxed commands, which may leave symlinks in it.
    const from = join(dir, 'from-links');
    const to = join(dir, 'to-links');
    const outside = join(dir, 'outside');
    await mkdir(outside, { recursive: true });
    const key = 'make-fetch-happen:request-cache:https://registry.npmjs.org/minimist';
    const content = await put(from, key, '{"name":"minimist"}');
    const target = content.replace(from, to);
    await mkdir(dirname(dirname(target)), { recursive: true });
    await symlink(outside, dirname(target));
    await expect(seedNpmCache(from, to, ['minimist'])).rejects.toThrow(
      /the package cache .* links out of it/,
    );
    expect(await readdir(outside)).toEqual([]);
  });

  it('says every package is missing when the source cache does not exist', async () => {
    expect(await seedNpmCache(join(dir, 'nowhere'), join(dir, 'x'), ['minimist'])).toEqual({
      seeded: [],
      missing: ['minimist'],
    });
  });
});
