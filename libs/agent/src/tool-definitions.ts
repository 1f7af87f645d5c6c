import type { Tool } from '@codeframe/llm';

const path = { type: 'string', description: 'Path relative to the repository root.' } as const;
const offset = {
  type: 'integer',
  minimum: 1,
  description: 'The first line to show, counting from 1 (default: 1).',
} as const;
const limit = {
  type: 'integer',
  minimum: 1,
  description: 'How many lines to show (default: all, within the size a result may have).',
} as const;

/** The tools the agent offers the model, each with the JSON schema of its input. */
export const TOOL_DEFINITIONS: Tool[] = [
  {
    name: 'read_file',
    description:
      'Read a UTF-8 text file of the repository, whole or a range of its lines (offset, limit). A long file comes back with its middle cut; page through it with offset and limit.',
    input_schema: { type: 'object', properties: { path, offset, limit }, required: ['path'] },
  },
  {
    name: 'write_file',
    description: 'Create or overwrite a file with the given content. Parent folders are created.',
    input_schema: {
      type: 'object',
      properties: { path, content: { type: 'string' } },
      required: ['path', 'content'],
    },
  },
  {
    name: 'edit_file',
    description: 'Replace the one exact occurrence of old_text in a file with new_text.',
    input_schema: {
      type: 'object',
      properties: { path, old_text: { type: 'string' }, new_text: { type: 'string' } },
      required: ['path', 'old_text', 'new_text'],
    },
  },
  {
    name: 'list_files',
    description:
      'List the files under a folder of the repository (default: the root), recursively, without .git and node_modules.',
    input_schema: { type: 'object', properties: { path } },
  },
  {
    name: 'search',
    description:
      'Search the repository for a regular expression (RE2 syntax: no lookaround or backreferences); returns matching lines as path:line: text.',
    input_schema: {
      type: 'object',
      properties: { pattern: { type: 'string' }, path },
      required: ['pattern'],
    },
  },
  {
    name: 'run_command',
    description:
      'Run a shell command in the repository, in a sandbox without network. Returns the exit code and output.',
    input_schema: {
      type: 'object',
      properties: { command: { type: 'string' }, timeout_ms: { type: 'integer', minimum: 1 } },
      required: ['command'],
    },
  },
  {
    name: 'read_output',
    description:
      'Read lines of a command or test output that came back cut, by the id the cut line names ("out-1"); offset and limit choose the lines.',
    input_schema: {
      type: 'object',
      properties: { id: { type: 'string' }, offset, limit },
      required: ['id'],
    },
  },
  {
    name: 'run_tests',
    description: "Run the project's tests and get the counts and the output.",
    input_schema: { type: 'object', properties: {} },
  },
  {
    name: 'ask_human',
    description:
      'Ask a person a question you cannot answer from the task and the repository. The task pauses until they answer.',
    input_schema: {
      type: 'object',
      properties: { question: { type: 'string' } },
      required: ['question'],
    },
  },
  {
    name: 'finish',
    description:
      'Say the task is done. The tests are then run; if they fail you get the failure to fix.',
    input_schema: {
      type: 'object',
      properties: { summary: { type: 'string', description: 'What you did, in a few sentences.' } },
      required: ['summary'],
    },
  },
];

export const TOOL_NAMES = new Set(TOOL_DEFINITIONS.map((t) => t.name));
