// Seeded random input for the edge's fuzz spec: WebSocket frames and raw HTTP requests,
// from plausible to hostile. The same seed gives the same cases, so a failure replays.
import type { Rng } from '@codeframe/testkit';

/** Random bytes as a Buffer. */
const bytes = (rng: Rng, n: number) => Buffer.from(rng.bytes(n));

const ODD_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\u202e\u0301',
  '\ud800',
  '💥'.repeat(50),
  '__proto__',
  'constructor',
  '../../etc/passwd',
  '#',
  '+',
  'project/#',
  '%ff',
  'null',
  '\\u0000',
  'x'.repeat(5000),
];
const ODD_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  -1e308,
  '12',
  [],
  {},
  [1, [2, [3]]],
  { $ref: '#' },
];

/** A JSON value for a field: a known id, an odd string, a number, or nested junk. */
function fieldValue(rng: Rng, known: readonly string[]): unknown {
  switch (rng.int(4)) {
    case 0:
      return rng.pick(known);
    case 1:
      return rng.pick(ODD_STRINGS);
    case 2:
      return rng.pick(ODD_VALUES);
    default:
      return bytes(rng, rng.int(40)).toString('latin1');
  }
}

const TYPES = ['subscribe', 'unsubscribe', 'ping', 'answer_blocker', 'launch', '', 'SUBSCRIBE'];

export type WsCase = { text: string } | { binary: Buffer } | { invalidUtf8: Buffer };

/** One frame a client might send: protocol-shaped with odd values, mutated, nested, or noise. */
export function wsCase(rng: Rng, known: readonly string[]): WsCase {
  const frame = () => {
    const f: Record<string, unknown> = {
      type: rng.chance(0.9) ? rng.pick(TYPES) : fieldValue(rng, known),
    };
    for (const key of ['project_id', 'last_seq', 'blocker_id', 'answer', rng.pick(ODD_STRINGS)]) {
      if (rng.chance(0.6))
        f[key] = key === 'last_seq' ? rng.pick(ODD_VALUES) : fieldValue(rng, known);
    }
    return JSON.stringify(f);
  };
  switch (rng.int(7)) {
    case 0:
    case 1:
      return { text: frame() };
    case 2: {
      const chars = [...frame()];
      for (let i = rng.int(4) + 1; i > 0; i--) {
        const at = rng.int(chars.length + 1);
        if (rng.chance(0.5)) chars.splice(at, 1);
        else chars.splice(at, 0, String.fromCharCode(rng.int(0x3000)));
      }
      return { text: chars.join('') };
    }
    case 3: {
      const depth = rng.int(7000) + 1;
      const open = rng.pick(['[', '{"a":']);
      return { text: open.repeat(depth) + (open === '[' ? ']' : '}').repeat(depth) };
    }
    case 4:
      return { binary: bytes(rng, rng.int(300)) };
    case 5:
      return {
        invalidUtf8: Buffer.concat([Buffer.from('{"type":"'), bytes(rng, rng.int(20) + 1)]),
      };
    default:
      return { text: bytes(rng, rng.int(200)).toString('utf8') };
  }
}

const METHODS = [
  'GET',
  'GET',
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'PATCH',
  'BREW',
  'get',
  'G3T',
  'X'.repeat(100),
];
const SEGMENTS = [
  '%',
  '%f',
  '%ff',
  '%E0%A4%A',
  '%00',
  '%2F',
  '%C0%AF',
  '%%',
  'p-1',
  '..',
  '%u0041',
  'a%zzb',
  '',
];

function pathSegment(rng: Rng, known: readonly string[]): string {
  switch (rng.int(4)) {
    case 0:
      return rng.pick(SEGMENTS);
    case 1:
      return rng.pick(known);
    case 2:
      return percentEncoded(rng.pick(ODD_STRINGS)).slice(0, 3000);
    default:
      return bytes(rng, rng.int(30))
        .toString('latin1')
        .replace(/[\s?#/]/g, '_');
  }
}

/** `encodeURIComponent`, except that a lone surrogate becomes its (invalid) UTF-8 bytes. */
function percentEncoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return '%ED%A0%80';
  }
}

function path(rng: Rng, known: readonly string[]): string {
  const query = rng.chance(0.3)
    ? `?${rng.pick(['token', 'project', 'a', ''])}=${pathSegment(rng, known)}${rng.chance(0.3) ? '&&=&%' : ''}`
    : '';
  switch (rng.int(7)) {
    case 0:
      return `/api/projects/${pathSegment(rng, known)}/snapshot${query}`;
    case 1:
      return `/api/projects${query}`;
    case 2:
      return `/${pathSegment(rng, known)}${query}`;
    case 3:
      return rng.pick(['/healthz', '/metrics', '/ws', '/', '/index.html']) + query;
    case 4:
      return `/${'a/'.repeat(rng.int(3000))}`;
    case 5:
      return rng.pick(['//', '/api/projects/', '/api//projects', '/api/projects/%2F/snapshot']);
    default:
      return `/api/projects/${pathSegment(rng, known)}/${pathSegment(rng, known)}${query}`;
  }
}

function hostHeader(rng: Rng, port: number): string | undefined {
  return rng.pick([
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    'localhost',
    '[::1]',
    'rebound.example',
    '',
    '[::1',
    'a:b:c',
    'localhost:99999',
    'x'.repeat(300),
    'l\u00f6calhost',
    undefined,
  ]);
}

/** The head of a raw HTTP/1.1 request (request line and headers, no blank line). */
export function httpCase(rng: Rng, known: readonly string[], port: number): string {
  const lines = [`${rng.pick(METHODS)} ${path(rng, known)} HTTP/1.1`];
  const host = hostHeader(rng, port);
  if (host !== undefined) lines.push(`host: ${host}`);
  if (rng.chance(0.2)) lines.push(`authorization: Bearer ${pathSegment(rng, known)}`);
  if (rng.chance(0.2))
    lines.push(
      `origin: ${rng.pick(['http://rebound.example', 'null', `http://localhost:${port}`, '%ff'])}`,
    );
  if (rng.chance(0.15)) {
    lines.push('upgrade: websocket', 'connection: upgrade', 'sec-websocket-version: 13');
    if (rng.chance(0.7))
      lines.push(`sec-websocket-key: ${bytes(rng, rng.int(24)).toString('base64')}`);
    if (rng.chance(0.3))
      lines.push(
        `sec-websocket-protocol: ${rng.pick(['codeframe.v1', 'bearer.%ff', ',,,', 'x'.repeat(500)])}`,
      );
  }
  // uWS neither answers nor closes a request with a control character anywhere in its head,
  // or a target not starting with "/", until its idle timeout (about 12 s), and calls no
  // handler: nothing of the edge's to test, and it would only make the run slow.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  return lines.map((line) => line.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, '_')).join('\r\n');
}
