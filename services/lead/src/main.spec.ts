import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeServiceConformance,
  grpcJsClient,
  grpcJsUnary,
  runToExit,
  startServiceProcess,
} from '@codeframe/testkit';
import { describe, expect, it } from 'vitest';

const entry = 'services/lead/dist/main.js';
const dataDir = () => mkdtempSync(join(tmpdir(), 'lead-'));

describeServiceConformance({
  entry,
  services: ['codeframe.v1.LeadService'],
  env: { CODEFRAME_DATA_DIR: dataDir() },
});

describe('the lead on a database of CODEFRAME_DATABASE_URL', () => {
  it('refuses a URL that is not PostgreSQL, naming the setting and never the password', async () => {
    const run = await runToExit(entry, {
      CODEFRAME_DATA_DIR: dataDir(),
      CODEFRAME_DATABASE_URL: 'mysql://root:hunter2@db.example/state',
    });
    expect(run.code).toBe(78);
    expect(run.stderr).toMatch(/CODEFRAME_DATABASE_URL must be a postgres:\/\/ URL, not mysql:/);
    expect(run.stdout + run.stderr).not.toContain('hunter2');
  });

  it('stops at once with a clear line when the database cannot be reached', async () => {
    const run = await runToExit(entry, {
      CODEFRAME_DATA_DIR: dataDir(),
      CODEFRAME_DATABASE_URL: 'postgres://lead:hunter2@127.0.0.1:1/state',
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/PostgreSQL database cannot be reached \(ECONNREFUSED\)/);
    expect(run.stdout + run.stderr).not.toContain('hunter2');
  });
});

describe('the lead over gRPC from grpc-js', () => {
  it('lists no projects, creates one, lists it, and still has it after a restart', async () => {
    const env = { CODEFRAME_DATA_DIR: dataDir() };
    let lead = await startServiceProcess({ entry, env });
    let client = grpcJsClient(
      'codeframe/v1/lead.proto',
      'codeframe.v1.LeadService',
      `127.0.0.1:${lead.port}`,
    );
    try {
      expect(await grpcJsUnary(client, 'ListProjects', {})).toEqual({ projects: [] });
      const created = await grpcJsUnary<{ project: { id: string; name: string } }>(
        client,
        'CreateProject',
        { prd: '# Todo API\n' },
      );
      expect(created.project.name).toBe('Todo API');
      const listed = await grpcJsUnary<{ projects: { id: string }[] }>(client, 'ListProjects', {});
      expect(listed.projects.map((p) => p.id)).toEqual([created.project.id]);
      client.close();
      expect(await lead.stop()).toBe(0);
      lead = await startServiceProcess({ entry, env });
      client = grpcJsClient(
        'codeframe/v1/lead.proto',
        'codeframe.v1.LeadService',
        `127.0.0.1:${lead.port}`,
      );
      const again = await grpcJsUnary<{ projects: { id: string }[] }>(client, 'ListProjects', {});
      expect(again.projects.map((p) => p.id)).toEqual([created.project.id]);
    } finally {
      client.close();
      await lead.stop();
    }
  });

  it('rejects a call without the token when one is configured', async () => {
    const lead = await startServiceProcess({
      entry,
      env: { CODEFRAME_AUTH_TOKEN: 'let-me-in', CODEFRAME_DATA_DIR: dataDir() },
    });
    const client = grpcJsClient(
      'codeframe/v1/lead.proto',
      'codeframe.v1.LeadService',
      `127.0.0.1:${lead.port}`,
    );
    try {
      await expect(grpcJsUnary(client, 'ListProjects', {})).rejects.toMatchObject({
        code: 16,
        details: expect.stringContaining('missing bearer token'),
      });
      const ok = await grpcJsUnary(
        client,
        'ListProjects',
        {},
        { authorization: 'Bearer let-me-in' },
      );
      expect(ok).toEqual({ projects: [] });
    } finally {
      client.close();
      await lead.stop();
    }
  });

  it('warns at start that authentication is off when no token is configured', async () => {
    const lead = await startServiceProcess({ entry, env: { CODEFRAME_DATA_DIR: dataDir() } });
    try {
      const warning = await lead.waitForLog((l) => /authentication is off/.test(String(l.msg)));
      expect(warning.level).toBe(40);
    } finally {
      await lead.stop();
    }
  });
});
