// The command line itself: help, version, refusals of bad usage, and shell completion,
// against the built command (no lead needed).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runToExit } from '@codeframe/testkit';
import { describe, expect, it } from 'vitest';

const CLI = 'tools/cli/dist/main.js';
const cli = (args: string[]) => runToExit(CLI, {}, { args });
const version = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  .version as string;

describe('usage', () => {
  it('--version prints the package version and exits 0', async () => {
    const run = await cli(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('a command --help prints that command’s usage, not the global one', async () => {
    const run = await cli(['run', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: codeframe run \[options\] <prd\.md>\n/);
    expect(run.stdout).toMatch(/--review <on\|off>/);
    expect(run.stdout).not.toMatch(/^Commands:/m);
    const global = await cli(['--help']);
    expect(global.stdout).toMatch(/^Commands:/m);
    expect(global.stdout).toMatch(/^ {2}retry <task>/m);
    expect(global.stdout).toMatch(/Exit status: 0 every task completed/);
    expect((await cli(['help', 'logs'])).stdout).toMatch(
      /^Usage: codeframe logs \[options\] <task>/,
    );
  });

  it('refuses an unknown option with exit 2, naming it, then the command’s usage', async () => {
    const run = await cli(['run', 'x.md', '--bogus']);
    expect(run.code).toBe(2);
    const [first, blank, usage] = run.stderr.split('\n');
    expect(first).toBe("codeframe: run: unknown option '--bogus'");
    expect(blank).toBe('');
    expect(usage).toBe('Usage: codeframe run [options] <prd.md>');
    // An option of another command is unknown here too.
    const other = await cli(['projects', '--from', '3']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(
      /^codeframe: projects: unknown option '--from'\n\nUsage: codeframe projects/,
    );
  });

  it('refuses extra arguments, a missing one and no command with exit 2 and the usage', async () => {
    const extra = await cli(['cancel', 't1', 't2']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(
      /^codeframe: cancel: too many arguments\. Expected 1 argument but got 2\.\n\nUsage: codeframe cancel/,
    );
    const missing = await cli(['logs']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^codeframe: logs needs a task id\n\nUsage: codeframe logs/);
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      /^codeframe: a command is needed\n\nUsage: codeframe \[options\] \[command\]/,
    );
    const shell = await cli(['completion', 'tcsh']);
    expect(shell.code).toBe(2);
    expect(shell.stderr).toMatch(/^codeframe: completion: .*'tcsh'.*bash, zsh, fish/);
  });
});

describe('shell completion', () => {
  const script = async (shell: string) => {
    const run = await cli(['completion', shell]);
    expect(run.code).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), 'completion-')), `codeframe.${shell}`);
    writeFileSync(file, run.stdout);
    return file;
  };

  /** What bash completes for the words of a command line, the last one being completed. */
  const bashComplete = (file: string, words: string[], cwd?: string) => {
    const line = words.map((w) => `'${w}'`).join(' ');
    const run = spawnSync(
      'bash',
      [
        '-c',
        `source "$1"; COMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _codeframe; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        file,
      ],
      { encoding: 'utf8', cwd },
    );
    expect(run.stderr).toBe('');
    return run.stdout.split('\n').filter(Boolean).sort();
  };

  it('bash: completes commands, a command’s options, option values and files', async () => {
    const file = await script('bash');
    expect(bashComplete(file, ['codeframe', 're'])).toEqual(['resume', 'retry']);
    expect(bashComplete(file, ['codeframe', ''])).toContain('logs');
    expect(bashComplete(file, ['codeframe', '--lead', 'http://x', 'wa'])).toEqual(['watch']);
    expect(bashComplete(file, ['codeframe', 'run', 'x.md', '--re'])).toEqual([
      '--repo',
      '--review',
    ]);
    expect(bashComplete(file, ['codeframe', 'logs', 't1', '--'])).toEqual([
      '--follow',
      '--help',
      '--json',
      '--lead',
      '--token',
    ]);
    expect(bashComplete(file, ['codeframe', 'run', '--review', ''])).toEqual(['off', 'on']);
    expect(bashComplete(file, ['codeframe', 'completion', ''])).toEqual(['bash', 'fish', 'zsh']);
    const dir = mkdtempSync(join(tmpdir(), 'prd-'));
    writeFileSync(join(dir, 'PRD.md'), '# x\n');
    expect(bashComplete(file, ['codeframe', 'run', 'P'], dir)).toEqual(['PRD.md']);
    expect(bashComplete(file, ['codeframe', 'status', 'P'], dir)).toEqual([]);
  });

  it('fish: completes commands and options (.ci/run installs fish)', async () => {
    const file = await script('fish');
    const complete = (line: string) =>
      spawnSync('fish', ['-c', `source $argv[1]; complete -C '${line}'`, file], {
        encoding: 'utf8',
      })
        .stdout.split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[0]);
    expect(complete('codeframe re').sort()).toEqual(['resume', 'retry']);
    expect(complete('codeframe run x.md --rev')).toEqual(['--review']);
    expect(complete('codeframe run --review ').sort()).toEqual(['off', 'on']);
  });

  it('zsh: the script loads and registers the completion (.ci/run installs zsh)', async () => {
    const file = await script('zsh');
    const run = spawnSync(
      'zsh',
      ['-f', '-c', 'source $1; print -r -- $_comps[codeframe]', 'zsh', file],
      {
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('_bash_complete -F _codeframe\n');
  });
});
