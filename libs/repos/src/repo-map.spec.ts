import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { estimateTokens } from '@codeframe/llm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mapIndex, READ_LIMIT_BYTES, renderRepoMap, taskRepoMap } from './repo-map.js';
import { mapRepository } from './repo-maps.js';
import { RepoSnapshotError } from './repo-snapshot.js';

// Real repositories, made with git, mapped the way the lead maps a project's repository.

let dir: string;
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    encoding: 'utf8',
  });

/** A bare repository whose main holds `files` (a Buffer is written as is). */
function repository(name: string, files: Record<string, string | Buffer>, links = {}): string {
  const work = join(dir, `${name}-work`);
  mkdirSync(work, { recursive: true });
  git(work, 'init', '--quiet', '--initial-branch=main');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), content);
  }
  for (const [path, target] of Object.entries(links as Record<string, string>)) {
    symlinkSync(target, join(work, path));
  }
  git(work, 'add', '-A');
  git(work, 'commit', '--quiet', '--allow-empty', '-m', 'seed');
  const bare = join(dir, `${name}.git`);
  git(dir, 'clone', '--quiet', '--bare', work, bare);
  return pathToFileURL(bare).href;
}

const LIBRARY = {
  'package.json': JSON.stringify({
    name: 'slugkit',
    version: '1.2.0',
    type: 'module',
    scripts: { test: 'node --test', lint: 'biome check .' },
    devDependencies: { '@biomejs/biome': '2.0.0' },
  }),
  'src/slug.js':
    "export function slugify(text, options = {}) {\n  return text;\n}\nexport const SEPARATOR = '-';\n",
  'src/index.js':
    "export { slugify, SEPARATOR as separator } from './slug.js';\nexport * from './words.js';\n",
  'src/words.cjs': 'module.exports = { splitWords, joinWords };\n',
  'src/legacy.js': 'exports.oldSlug = function () {};\nmodule.exports.older = 1;\n',
  'src/types.ts':
    'export interface SlugOptions { lower: boolean }\nexport type Mode = "a";\nexport default class Slugger {}\nexport async function load(path: string) {}\n',
  'tools/build.py':
    'import os\n\ndef build(target, *, verbose=False):\n    pass\n\nclass Builder:\n    def inner(self):\n        pass\n\ndef _private():\n    pass\n',
  'tools/pkg.py':
    '__all__ = [\'public_one\', "public_two"]\ndef public_one(): pass\ndef hidden(): pass\n',
  'cmd/main.go':
    'package main\n\nfunc Run(args []string) error { return nil }\nfunc helper() {}\nfunc (s *Server) Serve(port int) {}\ntype Server struct{}\nconst Version = "1"\n',
  'test/slug.test.js': "import { test } from 'node:test';\ntest('x', () => {});\n",
  'README.md': '# slugkit\n',
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'repo-map-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the repository map', () => {
  it('maps the tree, the manifests, the test setup and the exported names of main', async () => {
    const url = repository('library', LIBRARY);
    const map = await mapRepository(join(dir, 'data'), { url });
    expect(map).toBeDefined();
    expect(map!.entries.map((e) => e.path).sort()).toEqual(Object.keys(LIBRARY).sort());
    expect(map!.entries.find((e) => e.path === 'README.md')?.size).toBe(10);
    const exports = Object.fromEntries(map!.modules.map((m) => [m.path, m.names]));
    expect(exports).toEqual({
      'src/slug.js': ['slugify(text, options = {})', 'SEPARATOR'],
      'src/index.js': [
        'slugify (from ./slug.js)',
        'separator (from ./slug.js)',
        '* from ./words.js',
      ],
      'src/words.cjs': ['splitWords', 'joinWords'],
      'src/legacy.js': ['oldSlug', 'older'],
      'src/types.ts': ['SlugOptions', 'Mode', 'Slugger', 'load(path: string)'],
      'tools/build.py': ['build(target, *, verbose=False)', 'Builder'],
      'tools/pkg.py': ['public_one', 'public_two'],
      'cmd/main.go': ['Run(args []string)', 'Server.Serve(port int)', 'Server', 'Version'],
    });
    expect(map!.testFiles).toEqual(['test/slug.test.js']);
    expect(map!.frameworks).toEqual(['node:test']);
    const text = renderRepoMap(map!, 4_000);
    expect(text).toContain("Read from git's objects, never run.");
    expect(text).toContain('## Manifests\npackage.json:\n  name: slugkit\n  version: 1.2.0');
    expect(text).toContain('  scripts.test: node --test');
    expect(text).toContain('command: npm test (node --test)');
    expect(text).toContain('frameworks: node:test');
    expect(text).toContain('src/slug.js: slugify(text, options = {}), SEPARATOR');
    expect(text).toMatch(/^src\/slug\.js {2}\d+ B$/m);
    // Nothing was checked out: the lead's copy is bare.
    const copies = join(dir, 'data', 'maps');
    const [copy] = execFileSync('ls', [copies], { encoding: 'utf8' }).trim().split('\n');
    expect(existsSync(join(copies, copy!, 'HEAD'))).toBe(true);
    expect(existsSync(join(copies, copy!, 'src'))).toBe(false);
  });

  it('lists huge and binary files without reading them, and never follows a symlink', async () => {
    const huge = `export function hidden() {}\n${'x'.repeat(READ_LIMIT_BYTES + 10)}`;
    const binary = Buffer.concat([
      Buffer.from('export function bin() {}\n'),
      Buffer.from([0, 1, 2]),
    ]);
    const url = repository(
      'hostile',
      { 'big.js': huge, 'blob.js': binary, 'ok.js': 'export const ok = 1;\n' },
      { 'passwd.js': '/etc/passwd', 'loop.js': 'loop.js' },
    );
    const map = (await mapRepository(join(dir, 'data'), { url }))!;
    expect(map.modules).toEqual([{ path: 'ok.js', names: ['ok'] }]);
    const kinds = Object.fromEntries(map.entries.map((e) => [e.path, [e.kind, e.size]]));
    expect(kinds).toEqual({
      'big.js': ['file', huge.length],
      'blob.js': ['file', binary.length],
      'loop.js': ['symlink', 'loop.js'.length],
      'ok.js': ['file', 'export const ok = 1;\n'.length],
      'passwd.js': ['symlink', '/etc/passwd'.length],
    });
    const text = renderRepoMap(map, 2_000);
    expect(text).toMatch(/^big\.js {2}256\.0 KB$/m);
    expect(text).toMatch(/^passwd\.js {2}11 B \(symlink\)$/m);
    expect(text).not.toContain('root:');
  });

  it('keeps odd names on one line each, and deep trees whole', async () => {
    const deep = `${Array.from({ length: 60 }, (_, i) => `d${i}`).join('/')}/leaf.py`;
    const url = repository('odd', {
      'new\nline.js': 'export const a = 1;\n',
      ' spaced .js': 'export const b = 1;\n',
      'ünï cödé/файл.py': 'def привет():\n    pass\ndef hello():\n    pass\n',
      '-rf': 'not an option\n',
      [deep]: 'class Deep:\n    pass\n',
    });
    const map = (await mapRepository(join(dir, 'data'), { url }))!;
    expect(map.entries.map((e) => e.path).sort()).toEqual(
      [' spaced .js', '-rf', deep, 'new\nline.js', 'ünï cödé/файл.py'].sort(),
    );
    const text = renderRepoMap(map, 4_000);
    expect(text).toContain('"new\\nline.js": a');
    expect(text).toContain('" spaced .js": b');
    expect(text).toContain('ünï cödé/файл.py: hello()');
    expect(text).toContain(`${deep}: Deep`);
    expect(mapIndex(map).dirs.has('d0/d1/d2')).toBe(true);
  });

  it('stays within its token budget in a big repository, summarising deep directories', async () => {
    const files: Record<string, string> = {
      'package.json': '{"name":"big","scripts":{"test":"jest"}}',
    };
    for (let i = 0; i < 1_200; i++) {
      files[`packages/p${i % 30}/src/lib/module${i}.js`] = `export function f${i}(a) {}\n`;
    }
    const map = (await mapRepository(join(dir, 'data'), { url: repository('big', files) }))!;
    expect(map.entries).toHaveLength(1_201);
    for (const budget of [500, 2_000, 8_000]) {
      const text = renderRepoMap(map, budget);
      expect(estimateTokens(text)).toBeLessThanOrEqual(budget);
      expect(text).toContain('## Manifests\npackage.json:');
      expect(text).toContain('## Tree (path, size)');
    }
    const text = renderRepoMap(map, 2_000);
    expect(text).toMatch(/more left out: the map's budget is CODEFRAME_REPO_MAP_TOKENS/);
    // Directories too deep for the budget are summarised with their counts and sizes.
    expect(text).toMatch(/^packages\/p0\/src\/lib\/ {2}\(40 files, [\d.]+ KB\)$/m);
  });

  it('gives a task the part it names: its files, their neighbours and tests, the manifests', async () => {
    const map = (await mapRepository(join(dir, 'data'), { url: repository('task', LIBRARY) }))!;
    const part = taskRepoMap(map, 'Add a `maxLength` option to src/slug.js.', 2_000);
    expect(part).toContain('the files it names (src/slug.js)');
    expect(part).toContain('src/slug.js: slugify(text, options = {}), SEPARATOR');
    expect(part).toContain('src/index.js: ');
    expect(part).toContain('test/slug.test.js');
    expect(part).toContain('package.json:');
    expect(part).not.toContain('cmd/main.go');
    expect(part).not.toContain('tools/build.py');
    // A task that names no file of the repository gets the whole map, within its budget.
    const whole = taskRepoMap(map, 'Write a changelog.', 2_000);
    expect(whole).toContain('cmd/main.go');
  });

  it('has no map of an empty main or a repository without main; one out of reach is a clear error', async () => {
    expect(
      await mapRepository(join(dir, 'data'), { url: repository('empty', {}) }),
    ).toBeUndefined();
    const bare = join(dir, 'no-main.git');
    git(dir, 'init', '--quiet', '--bare', bare);
    expect(
      await mapRepository(join(dir, 'data'), { url: pathToFileURL(bare).href }),
    ).toBeUndefined();
    const missing = pathToFileURL(join(dir, 'nowhere.git')).href;
    const err = await mapRepository(join(dir, 'data'), { url: missing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RepoSnapshotError);
    expect((err as Error).message).toMatch(/^could not read main of file:\/\/.*nowhere\.git: /);
  });
});
