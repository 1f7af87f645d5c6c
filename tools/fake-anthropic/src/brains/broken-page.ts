import type { Brain } from '../brain.js';
import { lastToolResults, text, toolUse } from '../brain-helpers.js';

// A frontend task whose tests pass but whose page throws in the browser: the worker's
// browser check catches it, and the correction fixes the page.

/** The acceptance criterion naming the element the check looks for. */
export const BROKEN_PAGE_CRITERION = 'the page shows the greeting in `#greeting`';
const PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Greeting</title></head>
  <body>
    <main id="app"></main>
    <script type="module" src="app.js"></script>
  </body>
</html>
`;
export const BROKEN_APP = `import { greeting } from './greeting.js';
document.querySelector('#root').innerHTML = \`<h1 id="greeting">\${greeting('web')}</h1>\`;
`;
export const FIXED_APP = BROKEN_APP.replace("'#root'", "'#app'");
const MODULE = `export const greeting = (name) => \`Hello, \${name}!\`;
`;
const TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { greeting } from './greeting.js';

test('greets by name', () => assert.equal(greeting('web'), 'Hello, web!'));
`;

/** The plan it submits when the lead asks: the page, one frontend task. */
const PLAN = {
  tasks: [
    {
      key: 'page',
      title: 'Greeting page',
      description: 'index.html greets the visitor',
      kind: 'frontend',
      depends_on: [],
      acceptance_criteria: [BROKEN_PAGE_CRITERION],
    },
  ],
};

/**
 * Plans one frontend task when asked for a plan. As the task's model, it writes a static page (index.html, app.js) and a tested module; app.js renders into an
 * element the page does not have, so it throws in the console and #greeting never appears.
 * The tests pass; when the worker answers that the page failed its browser check, it fixes
 * the selector and finishes again.
 */
export const brokenPageBrain: Brain = (request) => {
  if (JSON.stringify(request.tools ?? []).includes('submit_plan'))
    return { content: [toolUse('submit_plan', PLAN)] };
  if (request.messages.length === 1) {
    return {
      content: [
        text('Writing the page, its script and a tested greeting module.'),
        toolUse('write_file', { path: 'package.json', content: '{ "type": "module" }\n' }),
        toolUse('write_file', { path: 'index.html', content: PAGE }),
        toolUse('write_file', { path: 'app.js', content: BROKEN_APP }),
        toolUse('write_file', { path: 'greeting.js', content: MODULE }),
        toolUse('write_file', { path: 'greeting.test.js', content: TEST }),
        toolUse('finish', { summary: 'A page that greets, with a test of the greeting.' }),
      ],
    };
  }
  const broken = lastToolResults(request).some(
    (r) => r.isError && /browser check/i.test(r.text) && r.text.includes('innerHTML'),
  );
  if (broken) {
    return {
      content: [
        text('The page renders into #root, which it lacks; it has #app.'),
        toolUse('edit_file', { path: 'app.js', old_text: "'#root'", new_text: "'#app'" }),
        toolUse('finish', { summary: 'The page renders into #app.' }),
      ],
    };
  }
  return { content: [toolUse('finish', { summary: 'Done.' })] };
};
