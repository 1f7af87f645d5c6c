import { create } from '@bufbuild/protobuf';
import { ExecuteTaskRequestSchema } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { previousAttemptSection } from './attempt-prompt.js';

const request = (previous: Record<string, unknown>, baseRef = 'attempts/t1/1') =>
  create(ExecuteTaskRequestSchema, {
    baseRef,
    previousAttempt: { number: 1, branch: 'attempts/t1/1', ...previous },
  });

describe('previousAttemptSection', () => {
  it('shows what the review asked of work it sent back, as the correction to make', () => {
    const section = previousAttemptSection(
      request({
        outcome: 'changes_requested',
        review: 'The negative case is untested.\n- src/add.js:3: add a test for add(-1, 1)',
      }),
    );
    expect(section).toContain('The review of your previous attempt (attempt 1) asked for changes');
    expect(section).toContain('- src/add.js:3: add a test for add(-1, 1)');
    expect(section).toContain('Address every comment');
    expect(section).toContain('This checkout starts from its work (branch attempts/t1/1)');
    expect(section).not.toContain('did not complete');
  });

  it('says why an attempt that could not be reviewed went back', () => {
    const section = previousAttemptSection(
      request({ outcome: 'unreviewed', review: 'the review could not be made: no verdict' }),
    );
    expect(section).toContain('did not complete');
    expect(section).toContain('It ended unreviewed.');
    expect(section).toContain('Its review: the review could not be made: no verdict');
  });
});
