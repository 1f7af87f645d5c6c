import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { packageManager, startScript } from './project-files.js';

// Which projects get a browser check, how their pages are served, and which elements their
// acceptance criteria name.

/** How the check serves the pages: a static folder (the worktree's root, public/ or dist/,
 * whichever has an index.html first), else the project's own `start` script on $PORT. Static
 * pages come first: they need no server, so a page is checked even before the backend task
 * that will serve it has merged (its API calls failing are the page's to handle). */
export type BrowserTarget = { mode: 'start'; command: string } | { mode: 'static'; dir: string };

const STATIC_DIRS = ['', 'public', 'dist'];

/** The worktree's pages, or undefined when it serves none (a library, a backend API). */
export async function browserTarget(worktree: string): Promise<BrowserTarget | undefined> {
  for (const dir of STATIC_DIRS) {
    const st = await lstat(join(worktree, dir, 'index.html')).catch(() => null);
    if (st?.isFile()) return { mode: 'static', dir };
  }
  if (await startScript(worktree))
    return { mode: 'start', command: `${await packageManager(worktree)} start` };
  return undefined;
}

const MAX_SELECTORS = 20;
const MAX_SELECTOR_CHARS = 200;
/** HTML elements a selector may start with (`form#signup`), besides custom ones (`todo-item`). */
const TAGS =
  'a|article|aside|button|canvas|dialog|div|footer|form|h[1-6]|header|img|input|label|li|main|nav|ol|output|p|progress|section|select|span|svg|table|tbody|td|textarea|th|tr|ul';
/** `#id`, `[attr]`, `tag#id`, `tag[attr]`, each optionally followed by more of a selector. */
const SELECTOR = new RegExp(`^(?:${TAGS}|[a-z][a-z0-9]*-[a-z0-9-]+)?(?:#[a-z_-]|\\[[a-z_-])`, 'i');
/** `<button>`, `<h1>`, `<todo-item>`: the element by its tag. */
const TAG = /^<([a-z][a-z0-9-]*)>$/i;

/**
 * The elements a task's acceptance criteria name, as CSS selectors: backtick-quoted spans
 * that start with an id or attribute selector (`#todo-list`, `[data-testid=total]`,
 * `form#signup input[type=email]`), or a tag in angle brackets (`<canvas>`). Class-only
 * spans (`.item`) and bare words are not taken: they read the same as file names and code.
 */
export function namedSelectors(criteria: readonly string[]): string[] {
  const found = new Set<string>();
  for (const text of criteria) {
    for (const [, span = ''] of text.matchAll(/`([^`\n]+)`/g)) {
      const quoted = span.trim();
      if (quoted.length > MAX_SELECTOR_CHARS) continue;
      const tag = TAG.exec(quoted);
      if (tag) found.add(tag[1]!.toLowerCase());
      else if (SELECTOR.test(quoted)) found.add(quoted);
    }
  }
  return [...found].slice(0, MAX_SELECTORS);
}
