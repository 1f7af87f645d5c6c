import { resolveInWorktree } from '../path-guard.js';
import { readRegularFile } from '../worktree-files.js';
import type { ToolModule } from './tool.js';
import { LIMIT, OFFSET, PATH, paged, str } from './tool-input.js';

/** Bytes of a file read_file pages through (the model sees at most maxResultChars). */
const MAX_READ = 8 * 1024 * 1024;

export const readFile: ToolModule = {
  definition: {
    name: 'read_file',
    description:
      'Read a UTF-8 text file of the repository, whole or a range of its lines (offset, limit). A long file comes back with its middle cut; page through it with offset and limit.',
    input_schema: {
      type: 'object',
      properties: { path: PATH, offset: OFFSET, limit: LIMIT },
      required: ['path'],
    },
  },
  async run(input, { workspace }) {
    const path = str(input, 'path');
    const file = await resolveInWorktree(workspace.path, path);
    const read = await readRegularFile(file, JSON.stringify(path), MAX_READ);
    const content = paged(input, read.text, 'call read_file');
    const cut = read.truncated
      ? `\n…(truncated: read_file reads the first ${MAX_READ} of ${read.size} bytes; use run_command with sed or grep for the rest)`
      : '';
    return { content: `${content}${cut}`, isError: false };
  },
};
