// A program in another language drives the lead: the Python example client, on grpcio,
// with message types from a descriptor set of proto/ (no generated code).
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brains } from '@codeframe/fake-anthropic';
import { type Cluster, makeTestCerts, startCluster, WORKSPACE_ROOT } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PYTHON = '/usr/bin/python3';
let cluster: Cluster;
let descriptors: string;

beforeAll(async () => {
  const grpc = spawnSync(PYTHON, ['-c', 'import grpc, google.protobuf'], { encoding: 'utf8' });
  if (grpc.status !== 0) {
    throw new Error(
      `${PYTHON} cannot import grpc: install python3-grpcio and python3-protobuf (${grpc.stderr.trim()})`,
    );
  }
  cluster = await startCluster(brains.examples!);
  descriptors = join(cluster.dir, 'codeframe.binpb');
  const buf = spawnSync(
    join(WORKSPACE_ROOT, 'node_modules/.bin/buf'),
    ['build', 'proto', '-o', descriptors],
    { cwd: WORKSPACE_ROOT, encoding: 'utf8' },
  );
  expect(buf.stderr).toBe('');
}, 60_000);
afterAll(() => cluster?.stop());

/** Runs the example client; fake-anthropic lives in this process, so never synchronously. */
const client = (...args: string[]) => clientWith({}, ...args);
const clientWith = (env: Record<string, string>, ...args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      PYTHON,
      ['examples/clients/python/codeframe_run.py', '--descriptors', descriptors, ...args],
      { cwd: WORKSPACE_ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });

it('builds an example PRD from Python over gRPC', async () => {
  const lead = `127.0.0.1:${cluster.lead.port}`;
  const run = await client('--lead', lead, 'examples/csv-stats/PRD.md');
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  expect(run.stdout).toMatch(/^project \S+ 'CSV Stats' created; repository file:\/\//);
  expect(run.stdout).toMatch(/^ +\d+ plan_ready /m);
  expect(run.stdout).toMatch(/^ +\d+ correction_attempt /m);
  expect(run.stdout.trim().split('\n').at(-1)).toBe('every task completed');
}, 150_000);

it('says why when the lead cannot be reached', async () => {
  const run = await client('--lead', '127.0.0.1:9', 'examples/csv-stats/PRD.md');
  expect(run.status).toBe(3);
  expect(run.stderr).toMatch(/^the lead at 127\.0\.0\.1:9 answered UNAVAILABLE: /);
});

describe('the Python client over mutual TLS', () => {
  const client = clientWith;
  const dir = mkdtempSync(join(tmpdir(), 'python-tls-'));
  const certs = makeTestCerts(dir);
  let secure: Cluster;
  beforeAll(async () => {
    secure = await startCluster(brains.examples!, {}, { tls: certs });
  }, 60_000);
  afterAll(async () => {
    await secure?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const lead = () => `localhost:${secure.lead.port}`;

  it('builds an example with the CA and client certificate of CODEFRAME_TLS_*', async () => {
    const run = await client(
      {
        CODEFRAME_TLS_CA: certs.ca,
        CODEFRAME_TLS_CLIENT_CERT: certs.clientCert,
        CODEFRAME_TLS_CLIENT_KEY: certs.clientKey,
      },
      '--tls',
      '--lead',
      lead(),
      'examples/word-freq/PRD.md',
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('every task completed');
  }, 150_000);

  it('is refused without the CA, with a sentence naming it', async () => {
    const run = await client(
      { CODEFRAME_TLS_CLIENT_CERT: certs.clientCert, CODEFRAME_TLS_CLIENT_KEY: certs.clientKey },
      '--tls',
      '--lead',
      lead(),
      'examples/word-freq/PRD.md',
    );
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(
      /^cannot talk to the lead at localhost:\d+ over TLS \(.*\): is --ca \(CODEFRAME_TLS_CA\)/,
    );
  });

  it('is refused without a client certificate', async () => {
    const run = await client(
      { CODEFRAME_TLS_CA: certs.ca },
      '--tls',
      '--lead',
      lead(),
      'examples/word-freq/PRD.md',
    );
    expect(run.status).toBe(3);
    expect(run.stderr).toMatch(/^cannot talk to the lead at localhost:\d+ over TLS/);
  });
});
