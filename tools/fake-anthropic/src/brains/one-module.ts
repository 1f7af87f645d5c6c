import type { Brain } from '../brain.js';
import { toolUse } from '../brain-helpers.js';

/** The plan of one backend task: a module with add() and its test. */
export const ONE_MODULE_PLAN = {
  tasks: [
    {
      key: 'math',
      title: 'Add add()',
      description: 'math.js',
      kind: 'backend',
      depends_on: [],
      acceptance_criteria: ['add(2,3) is 5'],
    },
  ],
};

/** Plans one task, and plays the worker: writes the module and its passing test, then
 * finishes. The smallest project that runs through dispatch, tests, commit and merge. */
export const oneModuleBrain: Brain = async (request) => {
  if (JSON.stringify(request.tools ?? []).includes('submit_plan'))
    return { content: [toolUse('submit_plan', ONE_MODULE_PLAN)] };
  if (request.messages.length > 1) return { content: [toolUse('finish', { summary: 'done' })] };
  return {
    content: [
      toolUse('write_file', { path: 'package.json', content: '{ "type": "module" }\n' }),
      toolUse('write_file', { path: 'math.js', content: 'export const add = (a, b) => a + b;\n' }),
      toolUse('write_file', {
        path: 'math.test.js',
        content:
          "import { test } from 'node:test';\nimport assert from 'node:assert/strict';\nimport { add } from './math.js';\ntest('adds', () => assert.equal(add(2, 3), 5));\n",
      }),
      toolUse('finish', { summary: 'add()' }),
    ],
  };
};
