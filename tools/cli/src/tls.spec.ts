// The CLI against a lead over mutual TLS: https:// CODEFRAME_LEAD_URL, the CA and a client
// certificate from CODEFRAME_TLS_*; without the CA, or without the certificate, one sentence.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brains } from '@codeframe/fake-anthropic';
import { type Cluster, makeTestCerts, runToExit, startCluster } from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = 'tools/cli/dist/main.js';
const dir = mkdtempSync(join(tmpdir(), 'cli-tls-'));
const certs = makeTestCerts(dir);
const clientEnv = {
  CODEFRAME_TLS_CA: certs.ca,
  CODEFRAME_TLS_CLIENT_CERT: certs.clientCert,
  CODEFRAME_TLS_CLIENT_KEY: certs.clientKey,
};
let cluster: Cluster;

beforeAll(async () => {
  cluster = await startCluster(brains.examples!, {}, { tls: certs });
}, 90_000);
afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const cli = (args: string[], env: Record<string, string> = clientEnv) =>
  runToExit(CLI, { CODEFRAME_LEAD_URL: cluster.leadUrl, ...env }, { args, timeoutMs: 120_000 });

describe('codeframe over mutual TLS', () => {
  it('runs an example and shows it: run, projects, status, tasks, watch, doctor', async () => {
    expect(cluster.leadUrl).toMatch(/^https:/);
    const run = await cli(['run', 'examples/word-freq/PRD.md', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ type: 'summary', status: 'completed' });
    const projectId = JSON.parse(run.stdout.split('\n')[0]!).project_id as string;
    const projects = await cli(['projects']);
    expect(projects.code).toBe(0);
    expect(projects.stdout).toContain(projectId);
    const status = await cli(['status', projectId]);
    expect(status.stdout).toMatch(/status\s+completed/);
    expect((await cli(['tasks', projectId])).code).toBe(0);
    const watched = await cli(['watch', projectId]);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/project completed/);
    const doctor = await cli(['doctor', '--json']);
    const checks = JSON.parse(doctor.stdout).checks as { id: string; status: string }[];
    expect(checks.find((c) => c.id === 'lead')?.status).toBe('ok');
  }, 180_000);

  it('is refused without the CA, in one sentence', async () => {
    const run = await cli(['projects'], {});
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^codeframe: cannot talk to the lead at https:\S+ over TLS: its certificate is not trusted \(self-signed certificate in certificate chain\): set CODEFRAME_TLS_CA/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('is refused without a client certificate, in one sentence', async () => {
    const run = await cli(['projects'], { CODEFRAME_TLS_CA: certs.ca });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(
      /^codeframe: cannot talk to the lead at https:\S+ over TLS: it requires a client certificate \(tlsv13 alert certificate required\): set CODEFRAME_TLS_CLIENT_CERT/,
    );
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});
