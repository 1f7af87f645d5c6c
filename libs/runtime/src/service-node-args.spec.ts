import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { missingNodeArgs, serviceNodeArgs } from './service-node-args.js';

describe('serviceNodeArgs', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  /** A service package with `package.json` and an entry at dist/main.js. */
  const service = (pkg: Record<string, unknown>) => {
    const root = mkdtempSync(join(tmpdir(), 'node-args-'));
    dirs.push(root);
    mkdirSync(join(root, 'svc', 'dist'), { recursive: true });
    writeFileSync(join(root, 'svc', 'package.json'), JSON.stringify(pkg));
    return root;
  };

  it('reads the flags from the package.json above the entry', () => {
    const root = service({ codeframe: { nodeArgs: ['--max-semi-space-size=2'] } });
    expect(serviceNodeArgs('svc/dist/main.js', root)).toEqual(['--max-semi-space-size=2']);
  });

  it('is empty when the package declares none, or there is no package', () => {
    expect(serviceNodeArgs('svc/dist/main.js', service({ name: 'plain' }))).toEqual([]);
    expect(serviceNodeArgs('/script.cjs')).toEqual([]);
  });

  it('refuses a declaration that is not a list of flags, naming the file', () => {
    for (const nodeArgs of ['--max-semi-space-size=2', ['main.js'], [2], ['-e', 'x']]) {
      const root = service({ codeframe: { nodeArgs } });
      expect(() => serviceNodeArgs('svc/dist/main.js', root)).toThrow(
        `${join(root, 'svc', 'package.json')}: codeframe.nodeArgs must be a list of flags`,
      );
    }
  });

  it('names the declared flags not in effect', () => {
    const root = service({ codeframe: { nodeArgs: ['--max-semi-space-size=2', '--no-warnings'] } });
    const entry = join(root, 'svc', 'dist', 'main.js');
    expect(missingNodeArgs(entry, ['--no-warnings'])).toEqual(['--max-semi-space-size=2']);
    expect(missingNodeArgs(entry, ['--max-semi-space-size=2', '--no-warnings'])).toEqual([]);
    expect(missingNodeArgs('', [])).toEqual([]);
  });
});
