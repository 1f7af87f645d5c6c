import type { Tool } from '@codeframe/llm';
import { askHuman } from './ask-human.js';
import { editFile } from './edit-file.js';
import { FINISH } from './finish.js';
import { listFiles } from './list-files.js';
import { readFile } from './read-file.js';
import { readOutput } from './read-output.js';
import { runCommand } from './run-command.js';
import { runTests } from './run-tests.js';
import { search } from './search.js';
import type { ToolModule } from './tool.js';
import { writeFile } from './write-file.js';

export type { ToolContext, ToolModule, ToolOutcome } from './tool.js';

// The order is part of every request's bytes, which the prompt cache keys on: a tool added
// goes at the end, before finish, and none moves.
const RUNNABLE: readonly ToolModule[] = [
  readFile,
  writeFile,
  editFile,
  listFiles,
  search,
  runCommand,
  readOutput,
  runTests,
  askHuman,
];

/** The tools the agent offers the model, each with the JSON schema of its input. */
export const TOOL_DEFINITIONS: Tool[] = [...RUNNABLE.map((t) => t.definition), FINISH];

/** The tools the runner runs, by name (a Map: a name such as "__proto__" finds nothing). */
export const TOOLS: ReadonlyMap<string, ToolModule> = new Map(
  RUNNABLE.map((tool) => [tool.definition.name, tool]),
);
