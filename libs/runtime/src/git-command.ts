import { execFile } from 'node:child_process';

// The one way CodeFRAME runs git (the workers' worktrees, the lead's merges): never
// prompting, with a fixed identity, and failing with git's own complaint. It runs on
// repositories whose content a model wrote, so it never runs what a repository could name:
// no hooks, no fsmonitor, no ext:: transport (command-line settings outrank a repository's).

const PINNED = [
  'user.name=CodeFRAME',
  'user.email=agent@codeframe.local',
  'commit.gpgsign=false',
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'protocol.ext.allow=never',
];
const IDENTITY = PINNED.flatMap((setting) => ['-c', setting]);

/** git exited non-zero; the message is what it printed on stderr. */
export class GitFailure extends Error {
  override name = 'GitFailure';

  /** The fatal/error/remote lines of git's complaint, on one line, credentials removed. */
  get detail(): string {
    const lines = this.message.split('\n').filter((line) => /^(fatal|error|remote):/.test(line));
    const text = (lines.length > 0 ? lines.join(' ') : this.message).replace(/\s+/g, ' ');
    return withoutCredentials(text.slice(0, 500));
  }
}

/** Runs git and resolves its stdout; a cancelled run rejects with the signal's reason. */
export function runGit(
  args: string[],
  options: { cwd?: string; signal?: AbortSignal } = {},
): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
  // Never prompt for a password or a host key: fail, and say so.
  env.GIT_SSH_COMMAND ??= 'ssh -o BatchMode=yes';
  for (const inherited of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete env[inherited];
  const { cwd, signal } = options;
  return new Promise<string>((done, fail) => {
    const opts = { cwd, signal, env, maxBuffer: 64 * 1024 * 1024 };
    const child = execFile('git', [...IDENTITY, ...args], opts, (err, stdout, stderr) => {
      if (!err) done(stdout);
      else if (signal?.aborted) fail(signal.reason);
      else fail(new GitFailure(String(stderr).trim() || err.message));
    });
    // Nothing is ever fed to git: a command reading stdin sees it empty at once.
    child.stdin?.on('error', () => {});
    child.stdin?.end();
  });
}

/** `text` with the user and password taken out of any URL in it, for messages and logs. */
export function withoutCredentials(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1');
}
