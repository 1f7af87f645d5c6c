// Each rule on a small made-up workspace: it holds when kept and names the file when broken.
import { describe, expect, it } from 'vitest';
import { findViolations, formatViolation } from './boundary-rules.js';
import { readReferences } from './source-references.js';
import type { Layer, Project } from './workspace-projects.js';

// Entries spelt from parts, so that the check, which reads this spec too, doesn't count them.
const dist = (folder: string, rest = '/main.js') => `${folder}/dist${rest}`;

interface Spec {
  layer: Layer;
  dependencies?: string[];
  devDependencies?: string[];
  nxDependencies?: string[];
  /** File name under src/ → text; names ending in .spec.ts are tests. */
  files?: Record<string, string>;
}

function workspace(specs: Record<string, Spec>): Project[] {
  return Object.entries(specs).map(([root, spec]) => ({
    name: `@codeframe/${root.split('/')[1]}`,
    root,
    layer: spec.layer,
    dependencies: spec.dependencies ?? [],
    devDependencies: spec.devDependencies ?? [],
    nxDependencies: spec.nxDependencies ?? [],
    sourceExports: { '.': `${root}/src/index.ts` },
    files: Object.entries(spec.files ?? {}).map(([name, text]) => ({
      path: `${root}/src/${name}`,
      test: name.endsWith('.spec.ts'),
      references: readReferences(name, text),
    })),
  }));
}

const violations = (specs: Record<string, Spec>) =>
  findViolations(workspace(specs)).map(formatViolation);

const base: Record<string, Spec> = {
  'libs/rpc': { layer: 'lib', files: { 'index.ts': 'export const rpc = 1;' } },
  'tools/testkit': {
    layer: 'tool',
    files: {
      'index.ts': [
        "export { startCluster } from './cluster.js';",
        "export { runToExit } from './run.js';",
      ].join('\n'),
      'cluster.ts': "export const startCluster = () => 'services/lead/dist/main.js';",
      'run.ts': 'export const runToExit = () => 0;',
    },
  },
  'services/lead': {
    layer: 'service',
    dependencies: ['@codeframe/rpc'],
    devDependencies: ['@codeframe/testkit'],
    files: {
      'main.ts': "import { rpc } from '@codeframe/rpc';",
      'main.spec.ts': [
        "import { runToExit } from '@codeframe/testkit';",
        "runToExit('services/lead/dist/main.js');",
      ].join('\n'),
    },
  },
};

describe('findViolations', () => {
  it('finds none in a workspace that keeps the rules', () => {
    expect(violations(base)).toEqual([]);
  });

  it('names a service that imports another service', () => {
    const found = violations({
      ...base,
      'services/edge': {
        layer: 'service',
        dependencies: ['@codeframe/lead'],
        files: { 'main.ts': "import { x } from '@codeframe/lead';" },
      },
    });
    expect(found).toEqual([
      'services/edge/package.json: dependencies "@codeframe/lead": a service never depends on another service: move the shared code into a lib, or start the other service as a process in a test',
      "services/edge/src/main.ts: imports '@codeframe/lead': a service never depends on another service: move the shared code into a lib, or start the other service as a process in a test",
    ]);
  });

  it('names a relative path into another project, and the layer it crosses', () => {
    const found = violations({
      ...base,
      'services/edge': {
        layer: 'service',
        files: { 'main.ts': "import { x } from '../../lead/src/main.js';" },
      },
    });
    expect(found).toEqual([
      'services/edge/src/main.ts: imports \'../../lead/src/main.js\': a relative path into services/lead; import "@codeframe/lead" and declare it in services/edge/package.json',
      "services/edge/src/main.ts: imports '../../lead/src/main.js': a service never depends on another service: move the shared code into a lib, or start the other service as a process in a test",
      'services/edge/src/main.ts: imports \'../../lead/src/main.js\': services/edge/package.json does not declare it; add "@codeframe/lead" to dependencies',
    ]);
  });

  it('names a lib that imports a service, and built code of a lib that imports a tool', () => {
    const found = violations({
      ...base,
      'libs/store': {
        layer: 'lib',
        dependencies: ['@codeframe/testkit'],
        devDependencies: ['@codeframe/lead'],
        files: {
          'store.ts': "import { runToExit } from '@codeframe/testkit';",
          'store.spec.ts': "import type { X } from '@codeframe/lead';",
        },
      },
    });
    expect(found).toEqual([
      'libs/store/package.json: dependencies "@codeframe/testkit": only tests may use a tool, and this is built code of a lib: move the code it needs into a lib',
      'libs/store/package.json: devDependencies "@codeframe/lead": a lib never depends on a service: move the code it needs into a lib',
      "libs/store/src/store.ts: imports '@codeframe/testkit': only tests may use a tool, and this is built code of a lib: move the code it needs into a lib",
      "libs/store/src/store.spec.ts: imports '@codeframe/lead': a lib never depends on a service: move the code it needs into a lib",
    ]);
  });

  it('lets the tests of a lib use a tool it lists in devDependencies', () => {
    const found = violations({
      ...base,
      'libs/store': {
        layer: 'lib',
        devDependencies: ['@codeframe/testkit'],
        files: { 'store.spec.ts': "import { runToExit } from '@codeframe/testkit';" },
      },
    });
    expect(found).toEqual([]);
  });

  it('names an import its package.json does not declare, or declares only for tests', () => {
    const found = violations({
      ...base,
      'libs/store': {
        layer: 'lib',
        devDependencies: ['@codeframe/rpc'],
        files: {
          'store.ts': "import { rpc } from '@codeframe/rpc';",
          'store.spec.ts': "import { rpc } from '@codeframe/proto';",
        },
      },
      'libs/proto': { layer: 'lib' },
    });
    expect(found).toEqual([
      "libs/store/src/store.ts: imports '@codeframe/rpc': built code imports it, but libs/store/package.json lists it only in devDependencies; move it to dependencies",
      'libs/store/src/store.spec.ts: imports \'@codeframe/proto\': libs/store/package.json does not declare it; add "@codeframe/proto" to devDependencies',
    ]);
  });

  it('names a declared workspace package that nothing imports', () => {
    const found = violations({
      ...base,
      'tools/bench': { layer: 'tool', devDependencies: ['@codeframe/lead'] },
    });
    expect(found).toEqual([
      'tools/bench/package.json: devDependencies "@codeframe/lead": no file imports it; a project whose entry is only started belongs in "nx": { "implicitDependencies" }',
    ]);
  });

  it('names an entry the tests start, through a harness too, that the Nx graph lacks', () => {
    const started = (nxDependencies: string[]) =>
      violations({
        ...base,
        'services/worker-backend': { layer: 'service' },
        'services/worker-test': { layer: 'service' },
        'tools/cli': {
          layer: 'tool',
          devDependencies: ['@codeframe/testkit'],
          nxDependencies,
          files: {
            'cli.spec.ts': [
              "import { startCluster } from '@codeframe/testkit';",
              'const kind = process.env.KIND;',
              // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template literal
              'startCluster(`services/worker-${kind}/dist/main.js`);',
            ].join('\n'),
          },
        },
      });
    const missing = (name: string, entry: string, namedIn = '') =>
      `tools/cli/src/cli.spec.ts: starts ${entry}${namedIn}: @codeframe/${name} is not a dependency of @codeframe/cli in the Nx graph, so its changes neither rerun these tests nor make them affected; add it to "nx": { "implicitDependencies" } in tools/cli/package.json`;
    expect(started([])).toEqual([
      missing('worker-backend', dist('services/worker-*')),
      missing('worker-test', dist('services/worker-*')),
      missing('lead', dist('services/lead'), ' (named in tools/testkit/src/cluster.ts)'),
    ]);
    expect(
      started(['@codeframe/lead', '@codeframe/worker-backend', '@codeframe/worker-test']),
    ).toEqual([]);
  });

  it("follows a harness's re-exports only for the names imported", () => {
    // lead's spec imports runToExit alone: the cluster beside it in testkit's index doesn't count.
    const found = violations({
      ...base,
      'services/edge': {
        layer: 'service',
        devDependencies: ['@codeframe/testkit'],
        files: { 'main.spec.ts': "import { runToExit } from '@codeframe/testkit';" },
      },
    });
    expect(found).toEqual([]);
  });
});
