import { constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

// Branch heads read from a repository's own ref files, without a git process, where git
// itself would find them first: a ref stored as a file of its own (a "loose" ref, as
// update-ref and receive-pack write one) outranks packed-refs, and its content is the
// commit's sha. Anything else (a ref only in packed-refs, a symbolic ref, another ref
// storage, an odd name, content that is not a sha) is not answered here: the caller asks git.
// The tree of a commit never changes, so the trees of commits this process wrote or read are
// remembered by sha.

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** Components of letters, digits, `_`, `-` and inner dots: never `..`, `.lock` or a path trick. */
const COMPONENT = /^\w(?:[\w.-]*[\w-])?$/;
const TREES_KEPT = 1_024;
const trees = new Map<string, string>();

/** The shas of the named branches when every one is a loose ref, else undefined. */
export async function looseHeads(
  gitDir: string,
  names: string[],
): Promise<Map<string, string> | undefined> {
  const heads = new Map<string, string>();
  for (const name of names) {
    const parts = name.split('/');
    if (!parts.every((part) => COMPONENT.test(part) && !part.endsWith('.lock'))) return undefined;
    // A symbolic link is a symbolic ref to git: not followed here.
    const path = join(gitDir, 'refs', 'heads', ...parts);
    const text = await readFile(path, {
      encoding: 'utf8',
      flag: constants.O_RDONLY | constants.O_NOFOLLOW,
    }).catch(() => undefined);
    const sha = text?.endsWith('\n') ? text.slice(0, -1) : text;
    if (sha === undefined || !SHA.test(sha)) return undefined;
    heads.set(name, sha);
  }
  return heads;
}

/** Remembers the tree of commit `sha` (read from git, or written by it). */
export function rememberTree(sha: string, tree: string): void {
  if (!SHA.test(sha) || !SHA.test(tree)) return;
  trees.delete(sha);
  trees.set(sha, tree);
  if (trees.size > TREES_KEPT) trees.delete(trees.keys().next().value!);
}

/** The tree of commit `sha`, when remembered. */
export function rememberedTree(sha: string): string | undefined {
  return trees.get(sha);
}
