import { GitFailure } from '@codeframe/runtime';
import { StoreError } from '@codeframe/store';
import { describe, expect, it } from 'vitest';
import { failure, ProjectRepoError } from './project-repo-error.js';

describe('failure', () => {
  it('takes a full disk for a storage fault of the lead, and a path named like one for git’s', () => {
    const full = failure(
      'git_failed',
      'could not create the repository',
      new GitFailure(
        "error: copy-fd: write returned: No space left on device\nfatal: cannot copy 'a' to 'b': No space left on device",
      ),
    );
    expect(full).toBeInstanceOf(StoreError);
    expect(full).toMatchObject({ code: 'exhausted' });
    expect((full as StoreError).message).toMatch(/^the lead's disk is full \(could not create/);
    // A file a model named after the sentence is no full disk: the merge fails as git's.
    const named = failure(
      'git_failed',
      'could not merge',
      new GitFailure("fatal: path 'x: No space left on device' does not exist in 'main'"),
    );
    expect(named).toBeInstanceOf(ProjectRepoError);
  });
});
