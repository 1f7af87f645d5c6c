import type { ToolModule } from './tool.js';
import { str } from './tool-input.js';

/** The question goes back in the outcome: the agent loop ends the task with it. */
export const askHuman: ToolModule = {
  definition: {
    name: 'ask_human',
    description:
      'Ask a person a question you cannot answer from the task and the repository. The task pauses until they answer.',
    input_schema: {
      type: 'object',
      properties: { question: { type: 'string' } },
      required: ['question'],
    },
  },
  async run(input) {
    return {
      content: 'your question was sent to a person',
      isError: false,
      question: str(input, 'question'),
    };
  },
};
