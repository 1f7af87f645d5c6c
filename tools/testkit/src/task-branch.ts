// A worker's part in the lead's git specs (libs/repos, libs/orchestrator): a task branch pushed to a project's repository.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const IDENTITY = ['-c', 'user.name=Worker', '-c', 'user.email=worker@example.com'];

/** git with a worker's identity, in `cwd`; its trimmed output. */
export async function testGit(args: string[], cwd?: string): Promise<string> {
  const { stdout } = await exec('git', [...IDENTITY, ...args], { cwd });
  return stdout.trim();
}

let clones = 0;

/** Does what a worker does: clones the repo into `dir`, branches `branch` off `base`, writes
 * the files, commits and pushes the branch; returns the branch's sha. */
export async function pushTask(
  dir: string,
  url: string,
  branch: string,
  files: Record<string, string>,
  base = 'main',
): Promise<string> {
  const clone = join(dir, `worker-${++clones}`);
  await testGit(['clone', '--quiet', url, clone]);
  await testGit(['checkout', '--quiet', '-b', branch, base], clone);
  for (const [name, text] of Object.entries(files)) await writeFile(join(clone, name), text);
  await testGit(['add', '--all'], clone);
  await testGit(['commit', '--quiet', '-m', `work on ${branch}`], clone);
  await testGit(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], clone);
  return testGit(['rev-parse', 'HEAD'], clone);
}
