import { describe, expect, it } from 'vitest';
import { processBreakdown, processLabel } from './process-breakdown.js';

describe('processLabel', () => {
  it('names git by its subcommand, past the options that take values', () => {
    expect(processLabel('git --git-dir /m fetch --quiet origin')).toBe('git fetch');
    expect(processLabel('/usr/bin/git -c core.fsmonitor=false -C /w commit -m x')).toBe(
      'git commit',
    );
    expect(processLabel('git --work-tree /w --git-dir=/g add --all')).toBe('git add');
  });

  it('names anything else by its program', () => {
    expect(processLabel('/usr/bin/bwrap --die-with-parent -- node --test')).toBe('bwrap');
    expect(processLabel('git --version-less')).toBe('git');
  });
});

describe('processBreakdown', () => {
  it('counts per task, most first', () => {
    const log: [number, string][] = [
      [1, 'git --git-dir /m fetch origin'],
      [2, 'bwrap -- node --test'],
      [3, 'bwrap -- node --test'],
      [4, 'git worktree add -B task/a'],
    ];
    expect(processBreakdown(log, 2)).toEqual({ bwrap: 1, 'git fetch': 0.5, 'git worktree': 0.5 });
    expect(Object.keys(processBreakdown(log, 2))[0]).toBe('bwrap');
  });
});
