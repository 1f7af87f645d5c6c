import { readFileSync } from 'node:fs';

/**
 * The version in the package.json one directory above the calling module, which is where
 * it sits both for src/main.ts and for dist/main.js.
 */
export function packageVersion(moduleUrl: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8'));
  return String(pkg.version);
}
