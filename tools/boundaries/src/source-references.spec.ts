import { describe, expect, it } from 'vitest';
import { readReferences } from './source-references.js';

// Entries spelt from parts, so that the check, which reads this spec too, doesn't count them.
const dist = (folder: string, rest = '/main.js') => `${folder}/dist${rest}`;

describe('readReferences', () => {
  it('reads static, type-only, dynamic and re-exported modules with the names taken', () => {
    const { modules } = readReferences(
      'a.ts',
      [
        "import { a, b as c } from '@codeframe/rpc';",
        "import type { T } from '@codeframe/proto';",
        "import * as ns from './ns.js';",
        "import './side-effect.js';",
        "import d from 'd';",
        "export { x, y as z } from './x.js';",
        "export * from './all.js';",
        "const m = await import('./lazy.js');",
        "type U = import('@codeframe/store').Store;",
      ].join('\n'),
    );
    expect(modules).toEqual([
      { specifier: '@codeframe/rpc', names: ['a', 'b'] },
      { specifier: '@codeframe/proto', names: ['T'] },
      { specifier: './ns.js', names: ['*'] },
      { specifier: './side-effect.js', names: ['*'] },
      { specifier: 'd', names: ['default'] },
      { specifier: './x.js', names: ['x', 'y'], exportedAs: ['x', 'z'] },
      { specifier: './all.js', names: ['*'], exportedAs: ['*'] },
      { specifier: './lazy.js', names: ['*'] },
      { specifier: '@codeframe/store', names: ['*'] },
    ]);
  });

  it('names the built entries in string literals, not in comments', () => {
    const { entries } = readReferences(
      'a.ts',
      [
        '// starts services/edge/dist/main.js',
        "const lead = 'services/lead/dist/main.js';",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
        'const worker = `services/worker-${kind}/dist/main.js`;',
        "const own = join(root, 'tools/bench/dist');",
        "const other = 'svc/dist/main.js';",
      ].join('\n'),
    );
    expect(entries).toEqual([
      dist('services/lead'),
      dist('services/worker-*'),
      dist('tools/bench', ''),
    ]);
  });
});
