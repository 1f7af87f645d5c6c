import type { Brain } from '../brain.js';
import { lastToolResults, text, toolUse } from '../brain-helpers.js';

export const BUGGY_MODULE = 'export const add = (a, b) => a - b;\n';
export const FIXED_MODULE = 'export const add = (a, b) => a + b;\n';
const TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add } from './math.js';

test('adds two numbers', () => assert.equal(add(2, 3), 5));
`;

/**
 * Builds a tiny Node module with a node:test test, scripted to get it wrong first: it
 * writes add() with a bug and finishes; when the worker answers that the tests failed, it
 * fixes the bug and finishes again. It exercises the whole self-correction path.
 */
export const selfCorrectingModuleBrain: Brain = (request) => {
  if (request.messages.length === 1) {
    return {
      content: [
        text('Writing math.js and its test.'),
        toolUse('write_file', { path: 'package.json', content: '{ "type": "module" }\n' }),
        toolUse('write_file', { path: 'math.js', content: BUGGY_MODULE }),
        toolUse('write_file', { path: 'math.test.js', content: TEST }),
        toolUse('finish', { summary: 'Added add() with a test.' }),
      ],
    };
  }
  const failed = lastToolResults(request).some((r) => r.isError && /tests failed/i.test(r.text));
  if (failed) {
    return {
      content: [
        text('The test shows add() subtracts; fixing it.'),
        toolUse('edit_file', { path: 'math.js', old_text: 'a - b', new_text: 'a + b' }),
        toolUse('finish', { summary: 'Fixed add() so the test passes.' }),
      ],
    };
  }
  return { content: [toolUse('finish', { summary: 'Done.' })] };
};
