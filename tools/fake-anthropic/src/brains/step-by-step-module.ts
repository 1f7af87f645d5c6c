import type { Brain } from '../brain.js';
import { toolUse } from '../brain-helpers.js';

const MODULE = `// Greets people by name.
export function greet(name) {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError('name must be a non-empty string');
  return \`Hello, \${name.trim()}!\`;
}
`;
const TEST = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { greet } from './greet.js';

test('greets by name', () => assert.equal(greet(' Ada '), 'Hello, Ada!'));
test('refuses an empty name', () => assert.throws(() => greet(''), TypeError));
`;

/** The task this brain plays, as the lead would send it (ExecuteTaskRequest's task and
 * context): a description of the size real tasks have. */
export const STEP_BY_STEP_TASK = {
  title: 'Add greet() with tests',
  description: `Add a small ES module greet.js exporting greet(name), which returns a greeting for a person by name.
The module is the first piece of a larger greeting service: later tasks add localised greetings,
a command-line entry point and an HTTP endpoint on top of it, so keep the function pure, free of
I/O and easy to extend. Follow the conventions already in the repository (ES modules, node:test,
two-space indentation, no dependencies). Write the tests beside the module, in greet.test.js, and
make npm test run them. Validate the input: names are trimmed, and an empty or non-string name is
refused with a TypeError whose message says what was expected. Keep the public surface to that one
function; anything else stays private to the module.`,
  acceptanceCriteria: [
    'greet(" Ada ") returns "Hello, Ada!"',
    'greet("") and greet(42) throw a TypeError saying a non-empty string is expected',
    'npm test runs the new tests with node --test and they pass',
    'No dependencies are added to package.json',
  ],
  context: `The project is a greeting service built in small tasks by several engineers. The repository
holds a README describing the service and its roadmap: a pure core library of greeting functions,
then a CLI (bin/greet.js) and an HTTP server (server.js) that call it. Code is plain JavaScript
with ES modules on Node 20 or later; tests use node:test and node:assert/strict and live beside the
code they test. Commits are small and each one leaves the tests passing.`,
};

/** One tool call a turn, as a careful model works: write, look, run, change, look again. */
const STEPS = [
  toolUse('list_files', {}),
  toolUse('write_file', {
    path: 'package.json',
    content: '{ "type": "module", "scripts": { "test": "node --test" } }\n',
  }),
  toolUse('write_file', { path: 'greet.js', content: MODULE }),
  toolUse('write_file', { path: 'greet.test.js', content: TEST }),
  toolUse('run_tests', {}),
  toolUse('read_file', { path: 'greet.js' }),
  toolUse('edit_file', {
    path: 'greet.js',
    old_text: 'Greets people',
    new_text: 'Greets a person',
  }),
  toolUse('search', { pattern: 'greet' }),
  toolUse('run_command', { command: 'node --test' }),
];

/**
 * Builds a small Node module with tests over `turns` model calls, one tool call in each
 * (the steps above, the last ones repeated as needed), then finishes in the last: a long
 * task whose conversation grows turn by turn, to measure what the prompt cache saves.
 */
export function stepByStepModuleBrain(turns = 10): Brain {
  if (!Number.isInteger(turns) || turns < 2) {
    throw new RangeError(`turns must be an integer of at least 2 (got ${turns})`);
  }
  return (request) => {
    const turn = Math.floor(request.messages.length / 2) + 1;
    if (turn >= turns)
      return { content: [toolUse('finish', { summary: 'Added greet() with tests.' })] };
    const step = STEPS[Math.min(turn - 1, STEPS.length - 1)]!;
    return { content: [{ ...step }] };
  };
}
