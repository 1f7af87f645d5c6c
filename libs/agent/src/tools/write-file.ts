import { FileChangeKind } from '@codeframe/proto';
import { resolveInWorktree } from '../path-guard.js';
import { writeRegularFile } from '../worktree-files.js';
import type { ToolModule } from './tool.js';
import { PATH, str } from './tool-input.js';

export const writeFile: ToolModule = {
  definition: {
    name: 'write_file',
    description: 'Create or overwrite a file with the given content. Parent folders are created.',
    input_schema: {
      type: 'object',
      properties: { path: PATH, content: { type: 'string' } },
      required: ['path', 'content'],
    },
  },
  async run(input, { workspace, events, emit }) {
    const path = str(input, 'path');
    const content = str(input, 'content');
    const file = await resolveInWorktree(workspace.path, path);
    const existed = await writeRegularFile(workspace.path, file, JSON.stringify(path), content);
    emit(events.fileChanged(path, existed ? FileChangeKind.MODIFIED : FileChangeKind.CREATED));
    return { content: `wrote ${path}`, isError: false };
  },
};
