// An example that depends on npm packages (its plan.json lists them) builds offline when
// this machine's npm cache holds them: the launcher copies them into the package cache its
// workers' sandboxes share. Otherwise the sandboxes fetch them from the registry.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostNpmCache, seedNpmCache } from '@codeframe/agent';
import { sandboxCacheDir } from './services.js';

/** The packages an example's plan.json names, or none for a PRD of one's own. */
export function examplePackages(prd: string): string[] {
  const plan = join(dirname(prd), 'plan.json');
  if (!existsSync(plan)) return [];
  const packages = (JSON.parse(readFileSync(plan, 'utf8')) as { packages?: unknown }).packages;
  return Array.isArray(packages) ? packages.map(String) : [];
}

/** Seeds the workers' cache with the example's packages; the sentence says what happened. */
export async function seedExamplePackages(
  prd: string,
  dataDir: string,
  from = hostNpmCache(),
): Promise<string | undefined> {
  const packages = examplePackages(prd);
  if (packages.length === 0) return undefined;
  const to = join(sandboxCacheDir(dataDir), 'npm', '_cacache');
  const { seeded, missing } = await seedNpmCache(from, to, packages);
  const parts: string[] = [];
  if (seeded.length > 0)
    parts.push(`${seeded.join(', ')} from this machine's npm cache (${from}): no registry needed`);
  if (missing.length > 0)
    parts.push(
      `${missing.join(', ')} not in this machine's npm cache: the sandboxes fetch ${missing.length === 1 ? 'it' : 'them'} from the registry`,
    );
  return `Packages for the example: ${parts.join('; ')}.`;
}
