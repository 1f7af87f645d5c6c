import { TaskKind } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { validatePlan } from './plan-validation.js';

const task = (key: string, depends_on: string[] = [], kind = 'backend') => ({
  key,
  title: `Task ${key}`,
  description: 'd',
  kind,
  depends_on,
  acceptance_criteria: ['works'],
});

const reason = (plan: unknown) => {
  const check = validatePlan(plan);
  return check.ok ? undefined : check.reason;
};

describe('validatePlan', () => {
  it('accepts a graph and maps kinds and dependencies', () => {
    const check = validatePlan({
      tasks: [task('api'), task('ui', ['api'], 'frontend'), task('e2e', ['api', 'ui'], 'test')],
    });
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.tasks.map((t) => [t.key, t.kind, t.dependsOn])).toEqual([
      ['api', TaskKind.BACKEND, []],
      ['ui', TaskKind.FRONTEND, ['api']],
      ['e2e', TaskKind.TEST, ['api', 'ui']],
    ]);
  });

  it('refuses an empty plan, unknown kinds, unknown dependencies and duplicate keys', () => {
    expect(reason({ tasks: [] })).toBe('the plan is empty: it needs at least one task');
    expect(reason({})).toBe('the plan needs a "tasks" array');
    expect(reason({ tasks: [task('a', [], 'devops')] })).toBe(
      'task "a": unknown kind "devops"; use backend, frontend or test',
    );
    expect(reason({ tasks: [task('a', ['ghost'])] })).toBe(
      'task "a" depends on "ghost", which is not in the plan',
    );
    expect(reason({ tasks: [task('a'), task('a')] })).toBe('the plan has two tasks with key "a"');
    expect(reason({ tasks: [task('a', ['a'])] })).toBe('task "a" depends on itself');
    expect(reason({ tasks: [{ ...task('a'), title: ' ' }] })).toBe('task "a": "title" is required');
  });

  it('names the cycle', () => {
    expect(
      reason({ tasks: [task('a', ['c']), task('b', ['a']), task('c', ['b']), task('d')] }),
    ).toBe("the plan's dependencies form a cycle: a → c → b → a");
  });
});
