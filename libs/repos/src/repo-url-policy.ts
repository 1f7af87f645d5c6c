import { realpath } from 'node:fs/promises';
import { BlockList, isIP } from 'node:net';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { invalidArgument } from '@codeframe/rpc';
import {
  firstControlCharacter,
  type GitCredentials,
  splitCredentials,
  withoutCredentials,
} from '@codeframe/runtime';

// Which repository URLs a project may name. A URL is handed to the lead's and the workers'
// git, so it must not turn them against something else: a service on the worker's host
// (request forgery), another project's repository, the lead's own data, a transport helper
// that runs a command (ext::, fd::), or an option smuggled in as a URL. (Another project's
// repository is told by `repoKey`, its canonical identity, which the store keeps unique.)
// Allowed: https, ssh
// (ssh:// and scp-like user@host:path), and local repositories (file:// or an absolute path)
// only below CODEFRAME_REPO_ROOT. Credentials in a URL are taken out and kept apart.
// Only literal hosts are judged: a name that resolves to a private address is not caught.

export interface RepoUrlSettings {
  /** Local repositories are allowed only below this folder; unset refuses them all. */
  root?: string;
  /** Cleartext http:// (CODEFRAME_REPO_ALLOW_HTTP). */
  allowHttp: boolean;
  /** Loopback, private and link-local literal hosts (CODEFRAME_REPO_ALLOW_PRIVATE_HOSTS). */
  allowPrivateHosts: boolean;
}

export const DEFAULT_REPO_URL_SETTINGS: RepoUrlSettings = {
  allowHttp: false,
  allowPrivateHosts: false,
};

/** What CreateProject stores: the URL without credentials, its identity, the credentials. */
export interface AdmittedRepo {
  repoUrl: string;
  repoKey?: string;
  repoCredentials?: GitCredentials;
}

export interface RepoUrlContext {
  /** The lead's data dir: its own repositories and state, never a project's to name. */
  dataDir: string;
}

const MAX_LENGTH = 2048;
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.?$/;
const USER = /^[\w.~][\w.~-]*$/;
const SCP = /^(?:([^@/:]+)@)?(\[[^\]]*\]|[^/:[\]]+):(.*)$/;

type Parsed =
  | { kind: 'local'; path: string }
  | { kind: 'remote'; scheme: string; host: string; path: string; url: string; password?: string };

/** The URL as it may be stored, or INVALID_ARGUMENT on repo_url with a sentence. */
export async function admitRepoUrl(
  raw: string,
  settings: RepoUrlSettings,
  context: RepoUrlContext,
): Promise<AdmittedRepo> {
  const text = raw.trim();
  if (!text) return { repoUrl: '' };
  const shown = JSON.stringify(withoutCredentials(text).slice(0, 200));
  const refuse = (problem: string) => invalidArgument('repo_url', `${shown} ${problem}`);
  if (text.length > MAX_LENGTH) throw refuse(`is longer than ${MAX_LENGTH} characters`);
  if (text.startsWith('-')) throw refuse('starts with "-", which git would read as an option');
  if (/^[a-z][a-z0-9+.-]*::/i.test(text)) {
    throw refuse(
      'names a git transport helper (<transport>::<address>), which can run commands; give an https:// or ssh:// URL',
    );
  }
  if (/\s/.test(text) || firstControlCharacter(text)) {
    throw refuse('contains whitespace or control characters; give the URL alone');
  }
  const parsed = parse(text, refuse);
  if (parsed.kind === 'local') return admitLocal(parsed.path, settings, context, refuse);

  if (parsed.scheme === 'http' && !settings.allowHttp) {
    throw refuse(
      'uses http://, which is cleartext: give an https:// or ssh:// URL (or set CODEFRAME_REPO_ALLOW_HTTP=true on the lead and the workers)',
    );
  }
  if (parsed.scheme === 'ssh' && parsed.password !== undefined) {
    throw refuse(
      'carries a password: ssh takes none in the URL; give the worker an SSH key instead',
    );
  }
  if (!settings.allowPrivateHosts && isPrivateHost(parsed.host)) {
    throw refuse(
      `names ${parsed.host}, a loopback, private or link-local host: a worker would reach its own network (set CODEFRAME_REPO_ALLOW_PRIVATE_HOSTS=true to allow it)`,
    );
  }
  const key = remoteKey(parsed);
  const { url, credentials } = splitCredentials(parsed.url);
  // Decoded, a %0A would be a line of git's credential protocol.
  if (credentials && firstControlCharacter(credentials.username + credentials.password)) {
    throw refuse('carries credentials with control characters in them');
  }
  return { repoUrl: url, repoKey: key, ...(credentials ? { repoCredentials: credentials } : {}) };
}

function parse(text: string, refuse: (problem: string) => Error): Parsed {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
  if (scheme) {
    if (!['https', 'http', 'ssh', 'file'].includes(scheme)) {
      throw refuse(
        `uses the scheme "${scheme}", which is not allowed: give an https:// or ssh:// URL, or file:// below CODEFRAME_REPO_ROOT`,
      );
    }
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw refuse('is not a valid URL');
    }
    if (scheme === 'file') {
      if (url.hostname) throw refuse('names a host: a file:// URL must be file:///<path>');
      try {
        return { kind: 'local', path: fileURLToPath(url) };
      } catch {
        throw refuse('is not a valid file:// URL');
      }
    }
    if (scheme === 'ssh' && url.username && !USER.test(decode(url.username))) {
      throw refuse('has an invalid user name');
    }
    const host = canonicalHost(url.hostname, refuse);
    url.hostname = host;
    const path = decode(url.pathname);
    if (!path.replace(/\//g, '')) throw refuse('names no repository path');
    const password = url.password ? url.password : undefined;
    return { kind: 'remote', scheme, host, path, url: url.href, password };
  }
  const scp = SCP.exec(text);
  if (scp && !text.slice(0, text.indexOf(':')).includes('/')) {
    const [, user, rawHost, path] = scp as unknown as [string, string | undefined, string, string];
    if (user !== undefined && !USER.test(user)) throw refuse('has an invalid user name');
    if (!path || path.startsWith('-') || path.includes('@')) {
      throw refuse('is not a valid user@host:path (no repository path after the host)');
    }
    const host = canonicalHost(rawHost, refuse);
    const url = `${user ? `${user}@` : ''}${host}:${path}`;
    return { kind: 'remote', scheme: 'ssh', host, path: `/${path}`, url };
  }
  if (!isAbsolute(text)) {
    throw refuse(
      'is not a URL git may use: give an https:// or ssh:// URL, user@host:path, or an absolute path below CODEFRAME_REPO_ROOT',
    );
  }
  return { kind: 'local', path: resolve(text) };
}

/** The host in one spelling (numeric IPv4 forms as dotted quads), or refused. */
function canonicalHost(raw: string, refuse: (problem: string) => Error): string {
  let host: string;
  try {
    host = new URL(`https://${raw}/`).hostname.toLowerCase();
  } catch {
    throw refuse(`names an invalid host "${raw}"`);
  }
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (!host || raw.startsWith('-') || (!isIP(bare) && !HOST.test(host))) {
    throw refuse(`names an invalid host "${raw}"`);
  }
  return host;
}

const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 3],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, prefix, 'ipv6');

function isPrivateHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  const family = isIP(bare);
  if (family === 4) return PRIVATE.check(bare, 'ipv4');
  if (family === 6) return PRIVATE.check(bare, 'ipv6');
  return bare === 'localhost' || bare.endsWith('.localhost');
}

/** Host and path, whatever the scheme, user, port, trailing slash or `.git`. */
function remoteKey(parsed: Extract<Parsed, { kind: 'remote' }>): string {
  const path = parsed.path
    .replace(/\/+/g, '/')
    .replace(/^\/(~)?/, '')
    .replace(/\/$/, '')
    .replace(/\.git$/, '');
  return `${parsed.host.replace(/\.$/, '')}/${path}`;
}

async function admitLocal(
  path: string,
  settings: RepoUrlSettings,
  context: RepoUrlContext,
  refuse: (problem: string) => Error,
): Promise<AdmittedRepo> {
  if (!settings.root) {
    throw refuse(
      'is a local repository: local repositories are refused: set CODEFRAME_REPO_ROOT to the folder that holds the ones projects may use, or give an https:// or ssh:// URL',
    );
  }
  // Outside the root is said before whether it exists, so nothing outside can be probed.
  const root = await realpath(settings.root).catch(() => resolve(settings.root!));
  const outside = () =>
    refuse(`is outside ${root}: local repositories are allowed only below CODEFRAME_REPO_ROOT`);
  if (!within(path, root) && !within(path, resolve(settings.root))) throw outside();
  const real = await realpath(path).catch(() => undefined);
  if (!real) throw refuse('does not exist: create the repository first');
  const dataDir = await realpath(context.dataDir).catch(() => resolve(context.dataDir));
  if (within(real, dataDir) || within(dataDir, real)) {
    throw refuse(
      "is in the lead's data directory, where it keeps its state and each project's own repository",
    );
  }
  // A link below the root may lead out of it.
  if (!within(real, root)) throw outside();
  const key = `file:${real}`;
  return { repoUrl: pathToFileURL(real).href, repoKey: key };
}

function within(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function decode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
