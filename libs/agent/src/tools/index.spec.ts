import { describe, expect, it } from 'vitest';
import { TOOL_DEFINITIONS, TOOLS } from './index.js';

describe('the tools table', () => {
  it('offers the tools in the order the prompt cache has seen, finish last', () => {
    expect(TOOL_DEFINITIONS.map((t) => t.name)).toEqual([
      'read_file',
      'write_file',
      'edit_file',
      'list_files',
      'search',
      'run_command',
      'read_output',
      'run_tests',
      'ask_human',
      'finish',
    ]);
  });

  it('runs every offered tool by its own module, except finish, which the agent loop answers', () => {
    for (const definition of TOOL_DEFINITIONS.slice(0, -1)) {
      expect(TOOLS.get(definition.name)?.definition, definition.name).toBe(definition);
    }
    expect(TOOLS.size).toBe(TOOL_DEFINITIONS.length - 1);
    expect(TOOLS.get('finish')).toBeUndefined();
  });

  it('finds no tool by a name an object would inherit', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(TOOLS.get(name), name).toBeUndefined();
    }
  });
});
