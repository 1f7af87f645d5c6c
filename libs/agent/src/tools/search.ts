import { join } from 'node:path';
import { RE2JS } from 're2js';
import { resolveInWorktree } from '../path-guard.js';
import { readRegularFile, walkFiles } from '../worktree-files.js';
import type { ToolModule } from './tool.js';
import { BadInput, PATH, str } from './tool-input.js';
import { MAX_WALK, WALK } from './worktree-walk.js';

const MAX_MATCHES = 200;
/** Bytes of each file a search looks at, and of all files together. */
const MAX_SEARCH_FILE = 1024 * 1024;
const MAX_SEARCH_TOTAL = 64 * 1024 * 1024;
const MAX_MATCH_LINE = 500;

export const search: ToolModule = {
  definition: {
    name: 'search',
    description:
      'Search the repository for a regular expression (RE2 syntax: no lookaround or backreferences); returns matching lines as path:line: text.',
    input_schema: {
      type: 'object',
      properties: { pattern: { type: 'string' }, path: PATH },
      required: ['pattern'],
    },
  },
  async run(input, { workspace }) {
    const regex = compilePattern(str(input, 'pattern'));
    const path = str(input, 'path', true) || '.';
    const worktree = workspace.path;
    const root = await resolveInWorktree(worktree, path);
    const { files, stopped } = await walkFiles(worktree, root, JSON.stringify(path), WALK);
    const matches: string[] = [];
    const notes: string[] = [];
    let budget = MAX_SEARCH_TOTAL;
    for (const file of files) {
      if (matches.length >= MAX_MATCHES) break;
      if (budget <= 0) {
        notes.push(`…(the search stopped after ${MAX_SEARCH_TOTAL} bytes; narrow "path")`);
        break;
      }
      // A file that is not regular (any more), or cannot be read, is not searched.
      const read = await readRegularFile(
        join(worktree, file),
        file,
        Math.min(MAX_SEARCH_FILE, budget),
      ).catch(() => undefined);
      // Binary files (a NUL early on, as grep decides) are not searched.
      if (!read || read.text.slice(0, 8192).includes('\0')) continue;
      budget -= read.text.length;
      if (read.truncated) notes.push(`…(only the first ${MAX_SEARCH_FILE} bytes of ${file})`);
      const lines = read.text.split('\n');
      for (let i = 0; i < lines.length && matches.length < MAX_MATCHES; i++) {
        const line = lines[i] ?? '';
        if (regex.matcher(line).find()) {
          const cut = line.length > MAX_MATCH_LINE ? `${line.slice(0, MAX_MATCH_LINE)}…` : line;
          matches.push(`${file}:${i + 1}: ${cut}`);
        }
      }
    }
    if (stopped) notes.push(`…(the search looked at the first ${MAX_WALK} entries only)`);
    const found = matches.join('\n') || 'no matches';
    return { content: [found, ...notes.slice(0, 5)].join('\n'), isError: false };
  },
};

/** The model's pattern, in RE2 syntax, which matches in time linear in the input. */
function compilePattern(pattern: string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    throw new BadInput(
      `"pattern" is not a valid RE2 pattern (${(err as Error).message}): search matches in linear time, so lookaround or backreferences are not supported`,
    );
  }
}
