import { constants } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

// Seeds a sandbox's npm cache from another npm cache on the same machine (the one `npm ci`
// of this repository filled), so a project that depends on those packages installs without
// the registry. npm's cache (cacache) is an index of buckets, one per request key, naming
// content by its integrity hash; the entries of the named packages (their metadata and
// tarballs) are copied as they are, and npm verifies the integrity when it reads them.

export interface SeedResult {
  /** Packages with at least their metadata and one tarball copied. */
  seeded: string[];
  /** Packages the source cache does not hold: npm fetches them from the registry. */
  missing: string[];
}

/** This machine's npm cache (`_cacache`): npm_config_cache, which npm sets for the scripts
 * it runs, else npm's default in the home directory. */
export function hostNpmCache(): string {
  return join(process.env.npm_config_cache || join(homedir(), '.npm'), '_cacache');
}

interface IndexEntry {
  key: string;
  integrity?: string;
}

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function entries(bucket: string): IndexEntry[] {
  return bucket
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line.slice(line.indexOf('\t') + 1)) as IndexEntry;
      } catch {
        return undefined;
      }
    })
    .filter((e): e is IndexEntry => !!e?.key);
}

/** The cacache content file of one integrity hash (`sha512-<base64>`). */
function contentPath(cache: string, integrity: string): string | undefined {
  const [algorithm, digest] = integrity.split('-', 2);
  if (!algorithm || !digest) return undefined;
  const hex = Buffer.from(digest, 'base64').toString('hex');
  return join(cache, 'content-v2', algorithm, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

/** What a key is about: `{ name, tarball }` for a package's metadata or one of its tarballs. */
function packageOf(key: string): { name: string; tarball: boolean } | undefined {
  const url = /^make-fetch-happen:request-cache:https?:\/\/[^/]+\/(.+)$/.exec(key)?.[1];
  if (!url) return undefined;
  const tarball = /^((?:@[^/]+\/)?[^/]+)\/-\/[^/]+\.tgz$/.exec(url);
  if (tarball) return { name: decodeURIComponent(tarball[1]!), tarball: true };
  if (/^(@[^/]+(\/|%2f)[^/]+|[^/@][^/]*)$/i.test(url)) {
    return { name: decodeURIComponent(url), tarball: false };
  }
  return undefined;
}

/**
 * Copies `source` to `target` inside `root`. The cache is shared with sandboxed commands,
 * which may have left symlinks in it: a folder that resolves outside `root` is refused, and
 * a link in the target's place is replaced, never written through.
 */
async function copyInto(root: string, source: string, target: string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const folder = await realpath(dirname(target));
  if (folder !== root && !folder.startsWith(`${root}${sep}`)) {
    throw new Error(
      `the package cache ${root} links out of it (${dirname(target)} is ${folder}): remove the link`,
    );
  }
  await rm(target, { force: true });
  await copyFile(source, target, constants.COPYFILE_EXCL);
}

/** Copies the cached metadata and tarballs of `packages` from npm cache `from` to `to`
 * (both `_cacache` folders). */
export async function seedNpmCache(
  from: string,
  to: string,
  packages: readonly string[],
): Promise<SeedResult> {
  const wanted = new Set(packages);
  await mkdir(to, { recursive: true });
  const root = await realpath(to);
  const found = new Map<string, { metadata: boolean; tarball: boolean }>();
  for (const bucketFile of await files(join(from, 'index-v5'))) {
    const matches = entries(await readFile(bucketFile, 'utf8')).filter((entry) => {
      const pkg = packageOf(entry.key);
      return pkg && wanted.has(pkg.name);
    });
    if (matches.length === 0) continue;
    for (const entry of matches) {
      const pkg = packageOf(entry.key)!;
      const integrity = entry.integrity?.split(/\s+/)[0];
      const source = integrity && contentPath(from, integrity);
      if (!source || !(await stat(source).catch(() => null))) continue;
      await copyInto(root, source, contentPath(root, integrity)!);
      const seen = found.get(pkg.name) ?? { metadata: false, tarball: false };
      seen[pkg.tarball ? 'tarball' : 'metadata'] = true;
      found.set(pkg.name, seen);
    }
    await copyInto(root, bucketFile, join(root, relative(from, bucketFile)));
  }
  const seeded = packages.filter((p) => found.get(p)?.metadata && found.get(p)?.tarball);
  return { seeded, missing: packages.filter((p) => !seeded.includes(p)) };
}
