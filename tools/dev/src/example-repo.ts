// An example with a seed/ directory is a change to an existing project: the launcher makes
// that project's repository (the seed as its first commit on main) in a folder the lead
// accepts local repositories from (CODEFRAME_REPO_ROOT), and the run starts from it.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runGit } from '@codeframe/runtime';

/** Where the launcher keeps the examples' existing repositories: beside the data dir, since
 * the lead refuses a repository inside its own. */
export function exampleRepoRoot(dataDir: string): string {
  const data = resolve(dataDir);
  return join(dirname(data), `${basename(data)}-repos`);
}

/** For an example with a seed/: a new bare repository whose main holds the seed, as a
 * file:// URL (one per run: a repository belongs to one project). Undefined without one. */
export async function seedExampleRepo(prd: string, root: string): Promise<string | undefined> {
  const example = dirname(prd);
  const seed = join(example, 'seed');
  if (!existsSync(seed)) return undefined;
  await mkdir(root, { recursive: true });
  const name = basename(example);
  const work = await mkdtemp(join(root, `.${name}-seed-`));
  try {
    await cp(seed, work, { recursive: true });
    await runGit(['init', '--quiet', '--initial-branch=main'], { cwd: work });
    await runGit(['add', '--all'], { cwd: work });
    await runGit(['commit', '--quiet', '-m', `chore: ${name} before the change`], { cwd: work });
    const bare = join(root, `${name}-${randomBytes(4).toString('hex')}.git`);
    await runGit(['clone', '--quiet', '--bare', work, bare]);
    return pathToFileURL(bare).href;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
