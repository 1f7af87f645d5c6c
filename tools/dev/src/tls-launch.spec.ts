// `npm start --once` with the TLS variables set: every gRPC port serves TLS, and the launcher,
// the lead (to its workers), the edge (to the lead) and the CLI reach them over https with
// client certificates (mutual TLS). The edge's browser port stays plain http (nginx's job).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCerts, mutualTlsEnv, runToExit } from '@codeframe/testkit';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'launcher-tls-'));
const certs = makeTestCerts(dir);
const anyPorts = {
  CODEFRAME_DATA_DIR: join(dir, 'data'),
  CODEFRAME_LEAD_PORT: '0',
  CODEFRAME_WORKER_BACKEND_PORT: '0',
  CODEFRAME_WORKER_FRONTEND_PORT: '0',
  CODEFRAME_WORKER_TEST_PORT: '0',
  CODEFRAME_EDGE_PORT: '0',
  CODEFRAME_EDGE_GRPC_PORT: '0',
  CODEFRAME_FAKE_ANTHROPIC_PORT: '0',
};

describe('npm start over mutual TLS', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--once starts every service with TLS, builds the example over https and exits 0', async () => {
    const run = await runToExit(
      'tools/dev/dist/main.js',
      { ...anyPorts, ...mutualTlsEnv(certs) },
      { args: ['--once', '--example', 'word-freq'], timeoutMs: 150_000 },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/CodeFRAME-TS is up: 6 services healthy/);
    for (const name of ['lead', 'worker-backend', 'worker-frontend', 'worker-test']) {
      expect(run.stdout).toMatch(new RegExp(`^  ${name}\\s+https://127\\.0\\.0\\.1:\\d+`, 'm'));
    }
    expect(run.stdout).toMatch(/^ {2}edge\s+http:\/\/127\.0\.0\.1:\d+/m);
    expect(run.stdout).toMatch(/is built\./);
    expect(run.stdout).toMatch(/stopped \(--once\)/);
    expect(run.code).toBe(0);
  }, 180_000);

  it('refuses to start with a client certificate but no key, in one sentence', async () => {
    const { CODEFRAME_TLS_CLIENT_KEY: _, ...halfPair } = mutualTlsEnv(certs);
    const run = await runToExit(
      'tools/dev/dist/main.js',
      { ...anyPorts, ...halfPair },
      {
        args: ['--once'],
        timeoutMs: 30_000,
      },
    );
    expect(run.stderr).toMatch(
      /configuration error: CODEFRAME_TLS_CLIENT_CERT is set but CODEFRAME_TLS_CLIENT_KEY is not/,
    );
    expect(run.code).not.toBe(0);
  });
});
