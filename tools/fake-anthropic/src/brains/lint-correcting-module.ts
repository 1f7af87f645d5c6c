import type { Brain } from '../brain.js';
import { lastToolResults, text, toolUse } from '../brain-helpers.js';

/** The project's own lint: a node script that fails on any `var ` in its .js sources. */
export const VAR_LINT = `import { readdirSync, readFileSync } from 'node:fs';
let failed = 0;
for (const file of readdirSync('.').filter((f) => f.endsWith('.js') && f !== 'lint.js')) {
  readFileSync(file, 'utf8').split('\\n').forEach((line, i) => {
    if (/\\bvar /.test(line)) {
      console.error(\`\${file}:\${i + 1}: uses var; declare it with const or let\`);
      failed++;
    }
  });
}
if (failed) process.exit(1);
console.log('lint: no problems');
`;
export const VAR_MODULE = 'export function add(a, b) {\n  var sum = a + b;\n  return sum;\n}\n';
export const CONST_MODULE = 'export function add(a, b) {\n  const sum = a + b;\n  return sum;\n}\n';
const TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add } from './math.js';

test('adds two numbers', () => assert.equal(add(2, 3), 5));
`;
const PACKAGE = JSON.stringify(
  { type: 'module', scripts: { test: 'node --test', lint: 'node lint.js' } },
  null,
  2,
);

/**
 * Builds a tiny module whose tests pass but whose own lint script (no `var`) fails: it
 * writes add() with a `var` and finishes; when the worker answers with the lint's output
 * naming the line, it replaces the `var` and finishes again. It exercises the quality gates.
 */
export const lintCorrectingModuleBrain: Brain = (request) => {
  if (request.messages.length === 1) {
    return {
      content: [
        text('Writing math.js, its test and the lint script.'),
        toolUse('write_file', { path: 'package.json', content: `${PACKAGE}\n` }),
        toolUse('write_file', { path: 'lint.js', content: VAR_LINT }),
        toolUse('write_file', { path: 'math.js', content: VAR_MODULE }),
        toolUse('write_file', { path: 'math.test.js', content: TEST }),
        toolUse('finish', { summary: 'Added add() with a test.' }),
      ],
    };
  }
  const lint = lastToolResults(request).some(
    (r) => r.isError && /math\.js:2: uses var/.test(r.text),
  );
  if (lint) {
    return {
      content: [
        text('The lint output says math.js line 2 uses var; declaring it with const.'),
        toolUse('edit_file', { path: 'math.js', old_text: 'var sum', new_text: 'const sum' }),
        toolUse('finish', { summary: 'add() declares with const, so the lint passes.' }),
      ],
    };
  }
  return { content: [toolUse('finish', { summary: 'Done.' })] };
};
