import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The repository the orchestration bench builds on: a package.json whose test script runs
// every test file in one Node process. Each task adds a test file, and Node's own runner
// (`node --test`, what a repository without a test script gets) starts a process per file,
// so 200 tasks would spend the bench in test processes whose number grows with main (200
// tasks × the files on main, quadratic) rather than in what it measures: scheduling,
// workers and merges. A project with many tests runs them the way this one does.

export const BENCH_PROJECT_FILES: Record<string, string> = {
  'package.json': `${JSON.stringify(
    {
      name: 'orchestration-bench',
      private: true,
      type: 'module',
      scripts: { test: 'node run-tests.mjs' },
    },
    null,
    2,
  )}\n`,
  'run-tests.mjs': [
    "import { readdirSync } from 'node:fs';",
    '',
    '// Every *.test.mjs of the project in this one process; node:test reports them all.',
    "for (const file of readdirSync('.').filter((name) => name.endsWith('.test.mjs')).sort()) {",
    "  await import('./' + file);",
    '}',
    '',
  ].join('\n'),
};

/** Commits the bench project's files onto `main` of the (lead's own, file://) repository. */
export function seedBenchProject(repoUrl: string): void {
  const work = mkdtempSync(join(tmpdir(), 'bench-project-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args], {
      cwd: work,
      stdio: 'pipe',
    });
  try {
    git('clone', '--quiet', fileURLToPath(repoUrl), '.');
    for (const [path, content] of Object.entries(BENCH_PROJECT_FILES)) {
      writeFileSync(join(work, path), content);
    }
    git('add', '.');
    git('commit', '--quiet', '-m', 'The orchestration bench project: tests run in one process');
    git('push', '--quiet', 'origin', 'HEAD:main');
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
