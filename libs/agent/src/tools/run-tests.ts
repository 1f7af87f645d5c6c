import type { ToolModule } from './tool.js';

export const runTests: ToolModule = {
  definition: {
    name: 'run_tests',
    description: "Run the project's tests and get the counts and the output.",
    input_schema: { type: 'object', properties: {} },
  },
  async run(_input, context) {
    const tests = await context.runTests();
    const { passed, failed, skipped } = tests.summary;
    return {
      content: `${tests.passed ? 'PASSED' : 'FAILED'}: ${passed} passed, ${failed} failed, ${skipped} skipped\n${tests.output}`,
      isError: !tests.passed,
      tests,
    };
  },
};
