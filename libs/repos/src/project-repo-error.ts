import { GitFailure, withoutCredentials } from '@codeframe/runtime';
import { StoreError } from '@codeframe/store';

export type ProjectRepoErrorCode = 'repo_unreachable' | 'unknown_branch' | 'git_failed';

/** A repository or branch the lead could not use, with a sentence naming it. */
export class ProjectRepoError extends Error {
  constructor(
    readonly code: ProjectRepoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProjectRepoError';
  }
}

/** How git reports a full disk: the system's sentence ending a line of its complaint, so a
 * file or branch named after it (a model chooses those) is not taken for one. */
const NO_SPACE = /: No space left on device$/m;

/**
 * git's failure as a ProjectRepoError with `sentence` and git's complaint; others as they
 * are. A full disk under the lead's repositories is what it is, a storage fault of the lead:
 * the store's `exhausted` (RESOURCE_EXHAUSTED at the API), which the lead waits out as it
 * does a full database, rather than a repository that refused the work.
 */
export function failure(code: ProjectRepoErrorCode, sentence: string, err: unknown): unknown {
  if (err instanceof ProjectRepoError || !(err instanceof GitFailure)) return err;
  if (NO_SPACE.test(err.message)) {
    return new StoreError(
      'exhausted',
      `the lead's disk is full (${sentence}: no space left on device): free space on the disk of the data directory; nothing of this call was kept, and it can be made again`,
      { cause: err },
    );
  }
  return new ProjectRepoError(code, `${sentence}: ${err.detail}`);
}

export function unknownBranch(branch: string, repoUrl: string): ProjectRepoError {
  return new ProjectRepoError(
    'unknown_branch',
    `branch "${branch}" does not exist in ${withoutCredentials(repoUrl)}`,
  );
}
