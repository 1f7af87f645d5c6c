import { env, loadConfig } from './config.js';
import { gitCaBundle } from './git-ca-bundle.js';
import { type GitCredentials, helperArgs, helperEnv } from './git-credentials.js';
import { launch } from './process-launcher.js';
import { clientTls, tlsClientSettings } from './tls-settings.js';

// The one way CodeFRAME runs git (the workers' worktrees, the lead's merges): never
// prompting, with a fixed identity, and failing with git's own complaint. It runs on
// repositories whose content a model wrote, so it never runs what a repository could name:
// no hooks, no fsmonitor (command-line settings outrank a repository's). It talks to URLs a
// user gave, so only the transports the repository-URL policy admits are allowed (file,
// https, ssh; http only when CODEFRAME_REPO_ALLOW_HTTP is set): never ext::, fd:: or any
// other remote helper, whatever the caller passed. Network operations have a time limit.

const PINNED = [
  'user.name=CodeFRAME',
  'user.email=agent@codeframe.local',
  'commit.gpgsign=false',
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'protocol.allow=never',
  // https is always verified (GIT_SSL_NO_VERIFY is dropped from git's environment too).
  'http.sslVerify=true',
];
const IDENTITY = PINNED.flatMap((setting) => ['-c', setting]);
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;
const NETWORK_COMMANDS = new Set(['clone', 'fetch', 'push', 'ls-remote', 'pull']);

/** The settings git's own policy reads; a service lists them in its config to check them at start. */
export const gitSettings = {
  gitTimeoutMs: env.int('CODEFRAME_GIT_TIMEOUT_MS', 600_000, 1_000),
  allowHttp: env.boolean('CODEFRAME_REPO_ALLOW_HTTP', false),
  ...tlsClientSettings,
};

/** git exited non-zero; the message is what it printed on stderr. */
export class GitFailure extends Error {
  override name = 'GitFailure';

  constructor(
    message: string,
    /** How git exited when it ran to its end: its status and what it printed on stdout
     * (merge-base --is-ancestor and merge-tree answer with their status). */
    readonly exit?: { status: number; stdout: string },
  ) {
    super(message);
  }

  /** The fatal/error/remote lines of git's complaint, on one line, credentials removed. */
  get detail(): string {
    const lines = this.message.split('\n').filter((line) => /^(fatal|error|remote):/.test(line));
    const text = (lines.length > 0 ? lines.join(' ') : this.message).replace(/\s+/g, ' ');
    return withoutCredentials(text.slice(0, 500));
  }
}

export interface GitOptions {
  cwd?: string;
  signal?: AbortSignal;
  /** Given to git by a credential helper through the environment, never on the command line. */
  credentials?: GitCredentials;
  /** Limit of a network operation (clone, fetch, push, ls-remote); CODEFRAME_GIT_TIMEOUT_MS by default. */
  timeoutMs?: number;
  /**
   * Allows http for this call whatever CODEFRAME_REPO_ALLOW_HTTP says: for a worker given an
   * http:// URL by the lead (its own git endpoint, or a URL its policy admitted). Set it from
   * the URL itself (`isPlainHttp`), so an https URL can still never redirect to http.
   */
  allowHttp?: boolean;
}

/** Whether the URL is plain http (not https). */
export const isPlainHttp = (url: string): boolean => /^http:\/\//i.test(url);

/** Runs git and resolves its stdout; a cancelled run rejects with the signal's reason. */
export function runGit(args: string[], options: GitOptions = {}): Promise<string> {
  const settings = loadConfig(gitSettings);
  const tls = clientTls();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GIT_TERMINAL_PROMPT: '0',
    LC_ALL: 'C',
    // Overrides any inherited list: with it set, git ignores protocol.<name>.allow.
    GIT_ALLOW_PROTOCOL:
      settings.allowHttp || options.allowHttp ? 'file:https:ssh:http' : 'file:https:ssh',
    // A remote that stops sending for a minute is given up (http); ssh likewise.
    GIT_HTTP_LOW_SPEED_LIMIT: '1000',
    GIT_HTTP_LOW_SPEED_TIME: '60',
    ...(options.credentials ? helperEnv(options.credentials) : {}),
    // The system roots and the CA of CODEFRAME_TLS_CA, and the client certificate under
    // mutual TLS, as for RPCs.
    ...(tls.ca ? { GIT_SSL_CAINFO: gitCaBundle(tls.ca) } : {}),
    ...(tls.cert && tls.key ? { GIT_SSL_CERT: tls.cert.path, GIT_SSL_KEY: tls.key.path } : {}),
  };
  delete env.GIT_SSL_NO_VERIFY;
  // Never prompt for a password or a host key: fail, and say so.
  env.GIT_SSH_COMMAND ??=
    'ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4';
  for (const inherited of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete env[inherited];
  const { cwd, signal } = options;
  const argv = [...IDENTITY, ...(options.credentials ? helperArgs() : []), ...args];
  const network = args.find((arg) => NETWORK_COMMANDS.has(arg));
  const limitMs = network ? (options.timeoutMs ?? settings.gitTimeoutMs) : undefined;
  return new Promise<string>((done, fail) => {
    // Its own process group, so a timeout or a cancel stops git's helpers (ssh,
    // remote-https) with it: they hold git's pipes open otherwise. Nothing is ever fed to
    // git: a command reading stdin sees it empty at once.
    const child = launch('git', argv, { cwd, env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let stopped: 'timeout' | 'aborted' | 'overflow' | undefined;
    const stop = (why: typeof stopped) => {
      stopped ??= why;
      child.killGroup('SIGKILL');
    };
    const onAbort = () => stop('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) onAbort();
    const timer = limitMs === undefined ? undefined : setTimeout(() => stop('timeout'), limitMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_OUTPUT_BYTES) stop('overflow');
      else into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    child.on('error', (err: Error) => {
      finish(() => fail(new GitFailure(`fatal: could not run git: ${err.message}`)));
    });
    child.on('close', (code: number | null, killedBy: NodeJS.Signals | null) => {
      finish(() => {
        const errText = Buffer.concat(stderr).toString('utf8').trim();
        if (stopped === 'aborted' && signal?.aborted) fail(signal.reason);
        else if (stopped === 'timeout')
          fail(new GitFailure(timeoutSentence(network!, args, limitMs!)));
        else if (stopped === 'overflow')
          fail(new GitFailure(`fatal: git printed more than ${MAX_OUTPUT_BYTES} bytes`));
        else if (code === 0) done(Buffer.concat(stdout).toString('utf8'));
        else
          fail(
            new GitFailure(
              errText || `git exited with ${code ?? killedBy}`,
              code === null
                ? undefined
                : { status: code, stdout: Buffer.concat(stdout).toString('utf8') },
            ),
          );
      });
    });
    let finished = false;
    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    };
  });
}

function timeoutSentence(command: string, args: string[], limitMs: number): string {
  const url = args.find((arg) => /^[a-z][\w+.-]*:\/\/|^[\w.-]+@[\w.-]+:/i.test(arg));
  const seconds = Math.round(limitMs / 1000);
  return withoutCredentials(
    `fatal: git ${command} of ${url ?? 'the remote'} did not finish within ${seconds} s and was stopped (CODEFRAME_GIT_TIMEOUT_MS)`,
  );
}

/** `text` with the user and password taken out of any URL in it, for messages and logs. */
export function withoutCredentials(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]+@/g, '$1');
}
