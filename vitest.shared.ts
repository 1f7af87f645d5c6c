// The one test configuration every project uses: tests beside the code (*.spec.ts),
// workspace libraries resolved to their TypeScript source, generous timeouts for tests
// that start real servers.
import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Without vite's `module` condition: packages resolve as Node resolves them (the
// @opentelemetry packages' `module` builds are not loadable by Node).
const conditions = [
  '@codeframe/source',
  ...defaultServerConditions.filter((condition) => condition !== 'module'),
];

export function projectTestConfig(name: string) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: ['src/**/*.spec.ts'],
      environment: 'node',
      testTimeout: 30_000,
      hookTimeout: 30_000,
      reporters: ['default'],
    },
  });
}
