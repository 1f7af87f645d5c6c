import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oneModuleBrain as brain } from '@codeframe/fake-anthropic';
import { LeadService, ProjectStatus } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import { clientTls, loadConfig, tlsClientSettings } from '@codeframe/runtime';
import {
  type Cluster,
  makeTestCerts,
  projectEnded,
  startCluster,
  watchUntil,
} from '@codeframe/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('the lead and its workers over mutual TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lead-tls-'));
  const certs = makeTestCerts(dir);
  let cluster: Cluster;
  beforeAll(async () => {
    // Workers clone, fetch and push the project's repository at the lead's https URL.
    cluster = await startCluster(
      brain,
      {},
      { tls: certs, leadEnv: { CODEFRAME_GIT_HTTP: 'always' } },
    );
  }, 180_000);
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a one-task project to completion, git over https included', async () => {
    expect(cluster.leadUrl).toMatch(/^https:/);
    const { project } = await cluster.client.createProject({ prd: '# Tiny\nAn add function.' });
    const projectId = project!.id;
    await cluster.client.startProject({ projectId });
    const events = await watchUntil(cluster, projectId, 0n, projectEnded, 120_000);
    const last = events.at(-1)!;
    expect(last.payload.case === 'projectStatus' && last.payload.value.status).toBe(
      ProjectStatus.COMPLETED,
    );
  }, 180_000);

  it('serves a Connect client over HTTP/1.1 on the same port', async () => {
    const tls = clientTls(
      loadConfig(tlsClientSettings, {
        CODEFRAME_TLS_CA: certs.ca,
        CODEFRAME_TLS_CLIENT_CERT: certs.clientCert,
        CODEFRAME_TLS_CLIENT_KEY: certs.clientKey,
      }),
    );
    const lead = createRpcClient(LeadService, {
      baseUrl: cluster.leadUrl,
      protocol: 'connect',
      tls,
    });
    expect((await lead.listProjects({})).projects.length).toBeGreaterThan(0);
  });

  it('refuses a client without the CA, and one without a client certificate', async () => {
    const noCa = createRpcClient(LeadService, { baseUrl: cluster.leadUrl, tls: {}, maxRetries: 0 });
    await expect(noCa.listProjects({})).rejects.toThrow(/certificate/i);
    const tls = clientTls(loadConfig(tlsClientSettings, { CODEFRAME_TLS_CA: certs.ca }));
    const noCert = createRpcClient(LeadService, { baseUrl: cluster.leadUrl, tls, maxRetries: 0 });
    await expect(noCert.listProjects({})).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
  });
});
