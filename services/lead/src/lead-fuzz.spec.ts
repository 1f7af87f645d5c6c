// Bad input never hurts: seeded random and mutated request bodies, in every protocol the
// lead speaks, against a real lead on an ephemeral port with a real SQLite store. After
// each batch the lead still answers its health check, nothing answered INTERNAL (or
// UNKNOWN, or HTTP 500) for malformed input, and projects created before are intact.
//
// 2000 cases by default; CODEFRAME_FUZZ_CASES=20000 for a longer run, CODEFRAME_FUZZ_SEED=<n>
// replays a run (its seed is printed first).
import { mkdtempSync } from 'node:fs';
import http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type DescMessage, fromJson, type JsonValue, toBinary } from '@bufbuild/protobuf';
import { Health, LeadService } from '@codeframe/proto';
import { createRpcClient, type RpcServer } from '@codeframe/rpc';
import { openSqliteStore, type Store } from '@codeframe/store';
import { fuzzCases, fuzzSeed, Rng } from '@codeframe/testkit';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { leadParts, serveLead } from './lead-parts.fixture.js';

const CASES = fuzzCases(2000);
const SEED = fuzzSeed();
const BATCH = 250;

const value = (r: Rng, depth = 2) => r.value(depth) as JsonValue;

/** JSON shaped like the message: its own field names, values of the right or wrong kind. */
function messageJson(r: Rng, desc: DescMessage, depth = 0): Record<string, JsonValue> {
  const json: Record<string, JsonValue> = {};
  for (const field of desc.fields) {
    if (r.next() < 0.4) continue;
    const nested =
      field.fieldKind === 'message' && depth < 2 && r.next() < 0.7
        ? messageJson(r, field.message, depth + 1)
        : undefined;
    const fieldValue = nested ?? value(r, 2 - depth);
    json[field.jsonName] = field.fieldKind === 'list' && r.chance(0.7) ? [fieldValue] : fieldValue;
  }
  return json;
}

/** A valid binary message of this type, when the JSON happens to be one; else empty. */
function validBinary(r: Rng, desc: DescMessage): Uint8Array {
  try {
    return toBinary(desc, fromJson(desc, messageJson(r, desc), { ignoreUnknownFields: true }));
  } catch {
    return toBinary(desc, create(desc));
  }
}

function mutate(r: Rng, bytes: Uint8Array): Uint8Array {
  const out = [...bytes];
  for (let i = 0, n = 1 + r.int(4); i < n; i++) {
    const at = r.int(out.length + 1);
    const op = r.int(4);
    if (op === 0 && out.length) out[at % out.length] = r.int(256);
    else if (op === 1) out.splice(at, 0, ...r.bytes(1 + r.int(8)));
    else if (op === 2) out.length = at;
    else out.splice(at, r.int(4));
  }
  return Uint8Array.from(out);
}

function grpcFrame(r: Rng, payload: Uint8Array): Uint8Array {
  const head = Buffer.alloc(5);
  const roll = r.next();
  head.writeUInt8(roll < 0.15 ? r.pick([1, 2, 0x80, 0xff]) : 0, 0);
  const length =
    roll > 0.85 ? r.pick([0, payload.length + 1, payload.length - 1, 0xffffffff]) : payload.length;
  head.writeUInt32BE(Math.max(0, length) >>> 0, 1);
  return Buffer.concat([head, payload]);
}

interface Outcome {
  logged?: unknown;
  method: string;
  protocol: string;
  httpStatus: number;
  /** The RPC code as the protocol names it: a Connect name or a gRPC number. */
  code: string;
  message: string;
}

/** Codes no malformed request may get: the server's own faults. */
const FAULTS = new Set(['internal', 'unknown', 'data_loss', '13', '2', '15']);

// The lead's error lines, so a fault's reply can be shown with what the lead logged.
const logged = new Map<string, unknown>();
const logger = pino(
  { level: 'error' },
  {
    write: (line: string) => {
      const entry = JSON.parse(line) as { errorId?: string; err?: unknown; msg?: string };
      logged.set(entry.errorId ?? String(logged.size), entry.err ?? entry.msg);
    },
  },
);

let store: Store;
let server: RpcServer;
let session: http2.ClientHttp2Session;
const methods = LeadService.methods;

beforeAll(async () => {
  console.log(`lead fuzz: ${CASES} cases, seed ${SEED} (CODEFRAME_FUZZ_SEED=${SEED} replays)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'lead-fuzz-'));
  store = await openSqliteStore(join(dataDir, 'lead.sqlite'));
  const parts = leadParts(store, { dataDir });
  server = await serveLead(parts, logger);
  session = http2.connect(server.url);
  session.on('error', () => {});
});

afterAll(async () => {
  session?.destroy();
  await server?.close();
  await store?.close();
});

async function connectCall(path: string, contentType: string, body: Uint8Array) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'connect-timeout-ms': '500' },
    body,
  });
  const text = await res.text();
  let parsed: { code?: string; message?: string } = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not an error body: a success, or a status without one.
  }
  return { httpStatus: res.status, code: parsed.code ?? '', message: parsed.message ?? '' };
}

function grpcCall(path: string, body: Uint8Array) {
  return new Promise<{ httpStatus: number; code: string; message: string }>((resolve) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': '500m',
    });
    const result = { httpStatus: 0, code: '', message: '' };
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h[':status']) result.httpStatus = Number(h[':status']);
      if (h['grpc-status'] !== undefined) result.code = String(h['grpc-status']);
      if (h['grpc-message'] !== undefined)
        result.message = decodeURIComponent(String(h['grpc-message']));
    };
    stream.on('response', take);
    stream.on('trailers', take);
    stream.on('data', () => {});
    stream.on('error', () => {});
    stream.on('close', () => resolve(result));
    stream.end(body);
  });
}

async function oneCase(r: Rng): Promise<Outcome> {
  const method = r.pick(methods);
  const path = `/${LeadService.typeName}/${method.name}`;
  const roll = r.next();
  let protocol: string;
  let reply: { httpStatus: number; code: string; message: string };
  if (roll < 0.35) {
    protocol = 'connect+json';
    const json =
      r.next() < 0.7
        ? JSON.stringify(messageJson(r, method.input))
        : r.next() < 0.5
          ? JSON.stringify(value(r, 3))
          : Buffer.from(
              mutate(r, Buffer.from(JSON.stringify(messageJson(r, method.input)))),
            ).toString('latin1');
    reply = await connectCall(path, 'application/json', Buffer.from(json, 'latin1'));
  } else if (roll < 0.6) {
    protocol = 'connect+proto';
    const body = r.next() < 0.3 ? r.bytes(r.int(64)) : mutate(r, validBinary(r, method.input));
    reply = await connectCall(path, 'application/proto', body);
  } else {
    protocol = 'grpc';
    const payload = r.next() < 0.3 ? r.bytes(r.int(64)) : mutate(r, validBinary(r, method.input));
    const body = r.next() < 0.1 ? payload : grpcFrame(r, payload);
    reply = await grpcCall(path, body);
  }
  return { method: method.name, protocol, ...reply };
}

it('answers every malformed request with a reply that is not a fault, and loses nothing', async () => {
  const lead = createRpcClient(LeadService, { baseUrl: server.url });
  const health = createRpcClient(Health, { baseUrl: server.url });
  const before = [
    (await lead.createProject({ name: 'first', prd: '# First\n\nKeep me.' })).project!,
    (await lead.createProject({ prd: '# Second\n\n\tTabs and\r\nCRLF.', budgetUsd: 2 })).project!,
  ];
  const snapshots = await Promise.all(
    before.map((p) => lead.getProjectSnapshot({ projectId: p.id })),
  );
  const r = new Rng(SEED);
  const faults: Outcome[] = [];
  const seen = new Map<string, number>();
  for (let done = 0; done < CASES; ) {
    const batch = Math.min(BATCH, CASES - done);
    for (let i = 0; i < batch; i++) {
      const outcome = await oneCase(r);
      const key = `${outcome.protocol} ${outcome.code || outcome.httpStatus}`;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (FAULTS.has(outcome.code) || outcome.httpStatus >= 500) {
        const id = /internal error ([0-9a-f]{12})/.exec(outcome.message)?.[1];
        faults.push({ ...outcome, ...(id ? { logged: logged.get(id) } : {}) });
      }
    }
    done += batch;
    expect({ done, faults: faults.slice(0, 5), seed: SEED }).toEqual({
      done,
      faults: [],
      seed: SEED,
    });
    expect((await health.check({})).status).toBe(1); // SERVING
    const listed = (await lead.listProjects({})).projects;
    for (const [i, p] of before.entries()) {
      expect(listed.find((l) => l.id === p.id)).toEqual(p);
      const again = await lead.getProjectSnapshot({ projectId: p.id });
      expect(again).toEqual(snapshots[i]);
    }
  }
  // The fuzz reached past the decoders: some calls were refused by the handlers themselves.
  console.log('lead fuzz outcomes:', Object.fromEntries([...seen].sort()));
  expect([...seen.keys()].some((k) => k.startsWith('grpc 3'))).toBe(true);
  expect([...seen.keys()].some((k) => k.includes('invalid_argument'))).toBe(true);
}, 120_000);
