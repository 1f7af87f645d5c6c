import type { Tool } from '@codeframe/llm';

/**
 * Only a schema: the agent loop answers finish itself, never through the tool runner,
 * since what follows (the tests, the quality gates, the commit) is the task's end.
 */
export const FINISH: Tool = {
  name: 'finish',
  description:
    'Say the task is done. The tests are then run; if they fail you get the failure to fix.',
  input_schema: {
    type: 'object',
    properties: { summary: { type: 'string', description: 'What you did, in a few sentences.' } },
    required: ['summary'],
  },
};
