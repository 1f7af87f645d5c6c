import { resolveInWorktree } from '../path-guard.js';
import { walkFiles } from '../worktree-files.js';
import type { ToolModule } from './tool.js';
import { PATH, str } from './tool-input.js';
import { MAX_WALK, WALK } from './worktree-walk.js';

const MAX_LIST = 500;

export const listFiles: ToolModule = {
  definition: {
    name: 'list_files',
    description:
      'List the files under a folder of the repository (default: the root), recursively, without .git and node_modules.',
    input_schema: { type: 'object', properties: { path: PATH } },
  },
  async run(input, { workspace }) {
    const path = str(input, 'path', true) || '.';
    const root = await resolveInWorktree(workspace.path, path);
    const { files, stopped } = await walkFiles(workspace.path, root, JSON.stringify(path), WALK);
    const shown = files.slice(0, MAX_LIST).join('\n');
    const more = files.length > MAX_LIST ? `\n…(${files.length - MAX_LIST} more)` : '';
    const cut = stopped ? `\n…(the listing stopped after ${MAX_WALK} entries)` : '';
    return { content: `${shown || '(empty)'}${more}${cut}`, isError: false };
  },
};
