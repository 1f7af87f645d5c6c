import { TaskKind } from '@codeframe/proto';
import { describe, expect, it } from 'vitest';
import { checkPlannedTasks } from './plan-validation.js';

const task = (key: string, depends_on: string[] = [], kind = 'backend') => ({
  key,
  title: `Task ${key}`,
  description: 'd',
  kind,
  depends_on,
  acceptance_criteria: ['works'],
});

const reason = (plan: unknown) => {
  const check = checkPlannedTasks(plan);
  return check.ok ? undefined : check.reason;
};

describe('checkPlannedTasks', () => {
  it('accepts a graph and maps kinds and dependencies', () => {
    const check = checkPlannedTasks({
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

  it("reads a task's files into its description, checked against the repository", () => {
    const repo = { files: new Set(['src/slug.js', 'package.json']), dirs: new Set(['src']) };
    const files = (list: unknown) => ({ tasks: [{ ...task('a'), files: list }] });
    const check = checkPlannedTasks(
      files(['src/slug.js', 'test/limit.test.js', 'src/slug.js']),
      repo,
    );
    expect(check.ok && check.tasks[0]!.description).toBe(
      'd\n\nFiles: src/slug.js (exists), test/limit.test.js (new)',
    );
    expect(checkPlannedTasks(files([]), repo).ok && true).toBe(true);
    const refused = (list: unknown) => {
      const c = checkPlannedTasks(files(list), repo);
      return c.ok ? undefined : c.reason;
    };
    expect(refused('src/slug.js')).toBe('task "a": "files" must be a list of paths');
    expect(refused(['src'])).toBe(
      'task "a": file "src" is a directory of the repository: name its files',
    );
    expect(refused(['package.json/x'])).toBe(
      'task "a": file "package.json/x" is below "package.json", which is a file of the repository',
    );
    for (const bad of ['/etc/passwd', '../up.js', 'src/./a.js', 'a//b', '', 'a\nb', 'a\\b']) {
      expect(refused([bad])).toMatch(/is not a relative path inside the repository/);
    }
    expect(refused(Array.from({ length: 51 }, (_, i) => `f${i}`))).toBe(
      'task "a": "files" names 51 paths; at most 50 are allowed',
    );
  });
});
