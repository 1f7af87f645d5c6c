// Hosts of their own on this machine for tests that need several: network namespaces
// (`ip netns`) joined by veth pairs, with addresses in a 10.x range of the test's own. Only
// the links a test makes exist; nothing else of the machine's network is touched, and
// close() removes every namespace and link.
import { execFile } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ip(args: string[]): Promise<void> {
  try {
    await run('ip', args);
  } catch (err) {
    throw new Error(`ip ${args.join(' ')} failed: ${(err as { stderr?: string }).stderr ?? err}`);
  }
}

/** Why namespaces cannot be made here, in one sentence; undefined when they can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) {
    return 'network namespaces need root (ip netns add): run the tests as root, as CI does';
  }
  const probe = `cfprobe${process.pid}`;
  try {
    await run('ip', ['netns', 'add', probe]);
    await run('ip', ['netns', 'del', probe]);
    return undefined;
  } catch (err) {
    const why = (err as { stderr?: string; code?: string }).stderr?.trim() || String(err);
    return `cannot create a network namespace (${why}): install iproute2 and run as root with CAP_SYS_ADMIN`;
  }
}

/** One link: the two ends' interface names and addresses. */
export interface Link {
  readonly a: { host: string; dev: string; address: string };
  readonly b: { host: string; dev: string; address: string };
}

/** `here` is this process's own namespace. */
export const HERE = 'here';

export class TestNetwork {
  readonly #prefix = `cf${randomBytes(2).toString('hex')}`;
  /** 10.<octet>.<link>.0/24 for each link. */
  readonly #octet = randomInt(200, 250);
  readonly #hosts = new Set<string>();
  readonly #hereDevs: string[] = [];
  #links = 0;

  /** A new host: a namespace with its loopback up. Returns its namespace's name. */
  async addHost(name: string): Promise<string> {
    const ns = `${this.#prefix}-${name}`;
    await ip(['netns', 'add', ns]);
    this.#hosts.add(ns);
    await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** A cable between two hosts (or a host and HERE): a veth pair, .1 at a and .2 at b. */
  async connect(a: string, b: string): Promise<Link> {
    const n = ++this.#links;
    const subnet = `10.${this.#octet}.${n}`;
    const ends = [
      { host: a, dev: `${this.#prefix}l${n}a`, address: `${subnet}.1` },
      { host: b, dev: `${this.#prefix}l${n}b`, address: `${subnet}.2` },
    ] as const;
    await ip(['link', 'add', ends[0].dev, 'type', 'veth', 'peer', 'name', ends[1].dev]);
    for (const end of ends) {
      if (end.host === HERE) this.#hereDevs.push(end.dev);
      else await ip(['link', 'set', end.dev, 'netns', end.host]);
      const at = end.host === HERE ? [] : ['-n', end.host];
      await ip([...at, 'addr', 'add', `${end.address}/24`, 'dev', end.dev]);
      await ip([...at, 'link', 'set', end.dev, 'up']);
    }
    return { a: ends[0], b: ends[1] };
  }

  /** Sends the host's traffic for other subnets through `via` (an address on one of its links). */
  async route(host: string, via: string): Promise<void> {
    await ip(['-n', host, 'route', 'add', 'default', 'via', via]);
  }

  /** Pulls the cable out at one end (or puts it back). */
  async setLink(end: Link['a'], up: boolean): Promise<void> {
    const at = end.host === HERE ? [] : ['-n', end.host];
    await ip([...at, 'link', 'set', end.dev, up ? 'up' : 'down']);
  }

  /** Removes every namespace (with the links in them) and the links ending here. */
  async close(): Promise<void> {
    for (const dev of this.#hereDevs) await run('ip', ['link', 'del', dev]).catch(() => {});
    for (const ns of this.#hosts) await run('ip', ['netns', 'del', ns]).catch(() => {});
    this.#hosts.clear();
  }
}
