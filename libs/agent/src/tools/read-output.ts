import type { ToolModule } from './tool.js';
import { LIMIT, OFFSET, paged, str } from './tool-input.js';

export const readOutput: ToolModule = {
  definition: {
    name: 'read_output',
    description:
      'Read lines of a command or test output that came back cut, by the id the cut line names ("out-1"); offset and limit choose the lines.',
    input_schema: {
      type: 'object',
      properties: { id: { type: 'string' }, offset: OFFSET, limit: LIMIT },
      required: ['id'],
    },
  },
  async run(input, { saved }) {
    const output = saved.get(str(input, 'id'));
    if ('error' in output) return { content: output.error, isError: true };
    return { content: paged(input, output.text, 'call read_output'), isError: false };
  },
};
