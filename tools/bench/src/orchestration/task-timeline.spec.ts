import { describe, expect, it } from 'vitest';
import { preparationStarts } from './task-timeline.js';

describe('preparationStarts', () => {
  it("starts a task's preparation at its fetch, or after the previous worktree when a fetch was shared", () => {
    const log: [number, string][] = [
      [100, 'git --git-dir /m fetch --quiet file:///r'],
      [150, 'git --git-dir /m worktree add --quiet --force --no-track -B task/a /w/a ref'],
      // b and c arrived during a's fetch: b fetches, c is served by b's fetch.
      [160, 'git --git-dir /m fetch --quiet file:///r'],
      [210, 'git --git-dir /m worktree add --quiet --force --no-track -B task/b /w/b ref'],
      [230, 'git --git-dir /m worktree add --quiet --force --no-track -B task/c /w/c ref'],
      [300, 'bwrap -- npm test'],
    ];
    expect(Object.fromEntries(preparationStarts([log]))).toEqual({ a: 100, b: 160, c: 210 });
  });

  it('takes the worktree add itself when no fetch was logged before it', () => {
    const log: [number, string][] = [[5, 'git worktree add -B task/x /w/x ref']];
    expect(preparationStarts([log]).get('x')).toBe(5);
  });
});
