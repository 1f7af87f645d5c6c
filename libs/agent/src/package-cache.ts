import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

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

/** Copies the cached metadata and tarballs of `packages` from npm cache `from` to `to`
 * (both `_cacache` folders). */
export async function seedNpmCache(
  from: string,
  to: string,
  packages: readonly string[],
): Promise<SeedResult> {
  const wanted = new Set(packages);
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
      const target = contentPath(to, integrity)!;
      await mkdir(dirname(target), { recursive: true });
      await copyFile(source, target);
      const seen = found.get(pkg.name) ?? { metadata: false, tarball: false };
      seen[pkg.tarball ? 'tarball' : 'metadata'] = true;
      found.set(pkg.name, seen);
    }
    const bucketTarget = join(to, relative(from, bucketFile));
    await mkdir(dirname(bucketTarget), { recursive: true });
    await copyFile(bucketFile, bucketTarget);
  }
  const seeded = packages.filter((p) => found.get(p)?.metadata && found.get(p)?.tarball);
  return { seeded, missing: packages.filter((p) => !seeded.includes(p)) };
}
