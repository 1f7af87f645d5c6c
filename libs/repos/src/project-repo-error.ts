import { GitFailure, withoutCredentials } from '@codeframe/runtime';

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

/** git's failure as a ProjectRepoError with `sentence` and git's complaint; others as they are. */
export function failure(code: ProjectRepoErrorCode, sentence: string, err: unknown): unknown {
  if (err instanceof ProjectRepoError || !(err instanceof GitFailure)) return err;
  return new ProjectRepoError(code, `${sentence}: ${err.detail}`);
}

export function unknownBranch(branch: string, repoUrl: string): ProjectRepoError {
  return new ProjectRepoError(
    'unknown_branch',
    `branch "${branch}" does not exist in ${withoutCredentials(repoUrl)}`,
  );
}
