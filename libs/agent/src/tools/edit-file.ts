import { FileChangeKind } from '@codeframe/proto';
import { resolveInWorktree } from '../path-guard.js';
import { readRegularFile, writeRegularFile } from '../worktree-files.js';
import type { ToolModule } from './tool.js';
import { BadInput, PATH, str } from './tool-input.js';

/** The largest file edit_file loads to change. */
const MAX_EDIT = 4 * 1024 * 1024;

export const editFile: ToolModule = {
  definition: {
    name: 'edit_file',
    description: 'Replace the one exact occurrence of old_text in a file with new_text.',
    input_schema: {
      type: 'object',
      properties: { path: PATH, old_text: { type: 'string' }, new_text: { type: 'string' } },
      required: ['path', 'old_text', 'new_text'],
    },
  },
  async run(input, { workspace, events, emit }) {
    const path = str(input, 'path');
    const oldText = str(input, 'old_text');
    const newText = str(input, 'new_text');
    const file = await resolveInWorktree(workspace.path, path);
    const shown = JSON.stringify(path);
    const read = await readRegularFile(file, shown, MAX_EDIT);
    if (read.truncated) {
      throw new BadInput(
        `${shown} is ${read.size} bytes, too large for edit_file (at most ${MAX_EDIT}): change it with run_command`,
      );
    }
    const count = oldText ? read.text.split(oldText).length - 1 : 0;
    if (count !== 1) {
      return {
        content: `old_text occurs ${count} times in ${path}; it must occur exactly once`,
        isError: true,
      };
    }
    await writeRegularFile(
      workspace.path,
      file,
      shown,
      read.text.replace(oldText, () => newText),
    );
    emit(events.fileChanged(path, FileChangeKind.MODIFIED));
    return { content: `edited ${path}`, isError: false };
  },
};
