import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runToExit, type ServiceProcess, startServiceProcess } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = 'tools/cli/dist/main.js';
const TOKEN = 'doctor-spec-token';

interface Row {
  id: string;
  title: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

const doctor = async (args: string[], env: Record<string, string> = {}) => {
  const run = await runToExit(CLI, env, { args: ['doctor', '--json', ...args], timeoutMs: 60_000 });
  const report = JSON.parse(run.stdout) as { ok: boolean; checks: Row[] };
  return { ...run, report, row: (id: string) => report.checks.find((c) => c.id === id)! };
};

const SYSTEM = ['node', 'uws', 'git', 'bwrap', 'prlimit', 'ps', 'chromium', 'python-grpc'];

it('passes on this machine, whose lead (if any) nobody named', async () => {
  const run = await doctor([]);
  expect(run.code).toBe(0);
  expect(run.report.ok).toBe(true);
  for (const id of SYSTEM) expect(run.row(id)).toMatchObject({ status: 'ok' });
  // Unnamed, the default lead being down is a warning, never a failure.
  expect(['ok', 'warn']).toContain(run.row('lead').status);
  const text = await runToExit(CLI, {}, { args: ['doctor'] });
  expect(text.stdout).toMatch(/^✓ bwrap +\/\S+ starts a sandbox here$/m);
  expect(text.stdout).toMatch(/\nready: every required check passes/);
});

it('fails when the lead it was told about does not answer', async () => {
  const port = await freePort();
  const run = await doctor(['--lead', `http://127.0.0.1:${port}`]);
  expect(run.code).toBe(1);
  expect(run.row('lead')).toMatchObject({
    status: 'fail',
    detail: expect.stringContaining(`no lead answers at http://127.0.0.1:${port}`),
    fix: 'start it, or point --lead/CODEFRAME_LEAD_URL at the one that runs',
  });
});

describe('against a running lead', () => {
  let lead: ServiceProcess;
  let dir: string;
  let foreign: Server;
  let foreignPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'codeframe-doctor-'));
    lead = await startServiceProcess({
      entry: 'services/lead/dist/main.js',
      env: { CODEFRAME_DATA_DIR: dir, CODEFRAME_AUTH_TOKEN: TOKEN, CODEFRAME_REVIEW: 'off' },
    });
    foreign = createServer().listen(0, '127.0.0.1');
    await once(foreign, 'listening');
    foreignPort = (foreign.address() as { port: number }).port;
  });
  afterAll(async () => {
    foreign?.close();
    await lead?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reaches it with its token, and tells its port from another program’s', async () => {
    const run = await doctor([], {
      CODEFRAME_LEAD_URL: `http://127.0.0.1:${lead.port}`,
      CODEFRAME_AUTH_TOKEN: TOKEN,
      CODEFRAME_LEAD_PORT: String(lead.port),
      CODEFRAME_WORKER_TEST_PORT: String(foreignPort),
    });
    expect(run.code).toBe(0);
    expect(run.row('lead')).toMatchObject({
      status: 'ok',
      detail: `http://127.0.0.1:${lead.port} is SERVING and answers (0 projects)`,
    });
    expect(run.row('port-lead')).toMatchObject({
      status: 'ok',
      detail: 'in use on 127.0.0.1 by a running CodeFRAME service (grpc.health.v1: SERVING)',
    });
    expect(run.row('port-worker-test')).toMatchObject({
      status: 'warn',
      title: `port ${foreignPort}`,
      fix: 'stop that program, or set CODEFRAME_WORKER_TEST_PORT to another port (0: any free one)',
    });
  });

  it('fails when the lead refuses the token', async () => {
    const run = await doctor(['--lead', `http://127.0.0.1:${lead.port}`, '--token', 'wrong']);
    expect(run.code).toBe(1);
    expect(run.row('lead')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('refused the token'),
      fix: 'set CODEFRAME_AUTH_TOKEN (or --token) to the token the lead was started with',
    });
  });
});
