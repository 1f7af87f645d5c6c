import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  appendFileSync,
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** A PostgreSQL server the tests may use: a throwaway cluster, or the one of
 * CODEFRAME_TEST_DATABASE_URL. */
export interface TestPostgres {
  /** Connection URL of a database the tests may create schemas in. */
  readonly url: string;
  /** The URL of a new, empty schema of that database (first on the search path), so that
   * tests sharing the server never see each other's tables. */
  newSchema(): Promise<string>;
  /** Stops and deletes the throwaway cluster (nothing for a given URL). */
  stop(): Promise<void>;
}

/** Why no PostgreSQL can be had here, in one sentence with the fix; undefined if one can. */
export function postgresUnavailable(): string | undefined {
  if (process.env.CODEFRAME_TEST_DATABASE_URL) return undefined;
  if (!postgresBinDir()) {
    return 'PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH): run `apt-get install -y postgresql`, or set CODEFRAME_TEST_DATABASE_URL to a server the tests may use';
  }
  if (process.getuid?.() === 0 && !postgresUser()) {
    return "running as root, and there is no `postgres` user to run the throwaway cluster as (PostgreSQL refuses root): install Debian's postgresql package, or set CODEFRAME_TEST_DATABASE_URL";
  }
  return undefined;
}

export interface TestPostgresOptions {
  /** Runs the server in this network namespace (`ip netns exec`, as root): always a
   * throwaway cluster then. */
  netns?: string;
  /** The address it listens on and the URL names (127.0.0.1 by default). */
  host?: string;
}

/**
 * Starts a throwaway PostgreSQL cluster on a free loopback port (initdb into a temporary
 * directory, fsync off: it is thrown away), or uses CODEFRAME_TEST_DATABASE_URL when set.
 * As root it runs as the `postgres` user, since PostgreSQL refuses to run as root.
 */
export async function startTestPostgres(options: TestPostgresOptions = {}): Promise<TestPostgres> {
  const given = options.netns ? undefined : process.env.CODEFRAME_TEST_DATABASE_URL;
  if (given) return { url: given, newSchema: () => newSchema(given), stop: async () => {} };
  const host = options.host ?? '127.0.0.1';
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const bin = postgresBinDir()!;
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'codeframe-pg-'));
  const data = join(dir, 'data');
  if (owner) {
    chownSync(dir, owner.uid, owner.gid);
    chmodSync(dir, 0o700);
  }
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const user = 'codeframe';
  try {
    await run(
      join(bin, 'initdb'),
      ['-D', data, '-U', user, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...as, env: { ...process.env, LC_ALL: 'C' }, cwd: dir },
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
  if (host !== '127.0.0.1') {
    // Clients on the server's own subnets too (another namespace of the test's): trust, as
    // initdb's -A trust gives loopback; the cluster is the test's and thrown away.
    appendFileSync(join(data, 'pg_hba.conf'), 'host all all samenet trust\n');
  }
  let server: ChildProcess | undefined;
  let port = 0;
  let lastError = '';
  // A free port can be taken between the probe and the bind: try a few.
  for (let tries = 0; tries < 5 && !server; tries++) {
    // A namespace of its own has every port free.
    port = options.netns ? 5432 : await freePort();
    const args = [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      `listen_addresses=${host}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
    ];
    const postgres = join(bin, 'postgres');
    // In a namespace: `ip netns exec` (root) execs setpriv, which execs postgres as its
    // user: one process, the server itself.
    const [command, argv, ids] = options.netns
      ? [
          'ip',
          ['netns', 'exec', options.netns, 'setpriv', ...setprivArgs(owner), postgres, ...args],
          {},
        ]
      : [postgres, args, as];
    const child = spawn(command, argv, { ...ids, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    if (await ready(child)) server = child;
    else lastError = stderrOf(child);
  }
  if (!server) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL did not start: ${lastError}`);
  }
  const started = server;
  const killNow = () => started.kill('SIGKILL');
  process.once('exit', killNow);
  const url = `postgres://${user}@${host.includes(':') ? `[${host}]` : host}:${port}/postgres`;
  return {
    url,
    newSchema: () => newSchema(url),
    async stop() {
      process.off('exit', killNow);
      if (started.exitCode === null && started.signalCode === null) {
        const exited = once(started, 'exit');
        started.kill('SIGQUIT'); // immediate shutdown: the data is thrown away
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function newSchema(url: string): Promise<string> {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const withSchema = new URL(url);
  withSchema.searchParams.set('options', `-c search_path=${schema}`);
  return withSchema.toString();
}

const stderrs = new WeakMap<ChildProcess, string>();
const stderrOf = (child: ChildProcess) => stderrs.get(child) ?? '';

/** Whether the server logged that it accepts connections (false once it exited). */
function ready(child: ChildProcess): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(false);
    }, 60_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      stderrs.set(child, text);
      if (text.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

function setprivArgs(owner: { uid: number; gid: number } | undefined): string[] {
  return owner
    ? ['--reuid', String(owner.uid), '--regid', String(owner.gid), '--clear-groups']
    : [];
}

/** The `postgres` account of /etc/passwd, which Debian's package creates. */
function postgresUser(): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('postgres:'));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
