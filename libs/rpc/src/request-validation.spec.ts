import { ViolationsSchema } from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';
import { WorkerService } from '@codeframe/proto';
import { grpcJsClient, grpcJsUnary } from '@codeframe/testkit';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { describe, expect, it } from 'vitest';
import { startWorker, WORKER_PROTO } from './rpc-server.fixture.js';

// The fixture's worker implements no VerifyCommit: a request that passes the rules reaches
// the (missing) handler and is UNIMPLEMENTED; one that breaks them never gets there.
describe('request validation (the rules in the .proto files)', () => {
  it('refuses a unary request over Connect with INVALID_ARGUMENT naming each field and rule', async () => {
    const { server } = await startWorker();
    const client = createClient(
      WorkerService,
      createConnectTransport({ baseUrl: server.url, httpVersion: '1.1' }),
    );
    const err = await client.verifyCommit({ projectId: 'p1' }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toBe(
      'repo_url: value is required [required]; ref: value is required [required]',
    );
    const [details] = err.findDetails(ViolationsSchema);
    expect(details.violations.map((v: { ruleId: string }) => v.ruleId)).toEqual([
      'required',
      'required',
    ]);
    const passed = await client
      .verifyCommit({ repoUrl: 'file:///tmp/r', ref: 'main' })
      .catch((e) => e);
    expect(passed.code).toBe(Code.Unimplemented);
  });

  it('refuses over gRPC from grpc-js, with the violations as a buf.validate.Violations detail', async () => {
    const { server } = await startWorker();
    const client = grpcJsClient(
      WORKER_PROTO,
      'codeframe.v1.WorkerService',
      `127.0.0.1:${server.port}`,
    );
    try {
      const err = await grpcJsUnary(client, 'VerifyCommit', {
        repoUrl: 'file:///tmp/r',
      }).catch((e) => e);
      expect(err.code).toBe(Code.InvalidArgument);
      expect(err.details).toBe('ref: value is required [required]');
      const status = err.metadata.get('grpc-status-details-bin')[0] as Buffer;
      expect(status).toBeInstanceOf(Buffer);
      expect(status.toString('latin1')).toContain('buf.validate.Violations');
    } finally {
      client.close();
    }
  });

  it("checks a streaming call's request, nested messages and ranges before the handler runs", async () => {
    const { server } = await startWorker();
    const client = createClient(WorkerService, createGrpcTransport({ baseUrl: server.url }));
    const run = async (req: Parameters<typeof client.executeTask>[0]) => {
      try {
        for await (const _ of client.executeTask(req)) return 'ran';
        return 'ran';
      } catch (e) {
        return ConnectError.from(e).rawMessage;
      }
    };
    const task = { id: 't1', title: 'add' };
    const where = { repoUrl: 'file:///tmp/r', baseRef: 'main' };
    expect(await run({ ...where })).toBe('task: value is required [required]');
    expect(await run({ ...where, task: { id: 't1' } })).toBe(
      'task.title: value is required [required]',
    );
    expect(
      await run({
        ...where,
        task,
        limits: { maxCostUsd: Number.NaN, maxTurns: -1, maxAttempts: -2, deadlineMs: -3n },
      }),
    ).toBe(
      [
        'limits.max_attempts: must be greater than or equal to 0 [int32.gte]',
        'limits.max_cost_usd: must be greater than or equal to 0 [double.gte]',
        'limits.max_cost_usd: must be finite [double.finite]',
        'limits.deadline_ms: must be greater than or equal to 0 [int64.gte]',
        'limits.max_turns: must be greater than or equal to 0 [int32.gte]',
      ].join('; '),
    );
    expect(await run({ ...where, task, limits: { maxCostUsd: -1 } })).toBe(
      'limits.max_cost_usd: must be greater than or equal to 0 [double.gte]',
    );
    expect(await run({ task, baseRef: 'main' })).toBe('repo_url: value is required [required]');
    expect(await run({ task, repoUrl: 'file:///tmp/r' })).toBe(
      'base_ref: value is required [required]',
    );
    expect(await run({ ...where, task })).toBe('ran');
  });

  it('validates a binary request carrying unknown fields by its known ones', async () => {
    const { server } = await startWorker();
    // VerifyCommitRequest{repo_url: "x", ref: "main"} plus field 99 (varint 1), unknown here.
    const body = Buffer.from([0x12, 1, 0x78, 0x1a, 4, ...Buffer.from('main'), 0x98, 0x06, 1]);
    const res = await fetch(`${server.url}/codeframe.v1.WorkerService/VerifyCommit`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto' },
      body,
    });
    expect(res.status).toBe(501); // passed the rules: the fixture has no VerifyCommit
    const bad = await fetch(`${server.url}/codeframe.v1.WorkerService/VerifyCommit`, {
      method: 'POST',
      headers: { 'content-type': 'application/proto' },
      body: Buffer.from([0x98, 0x06, 1]),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe(
      'repo_url: value is required [required]; ref: value is required [required]',
    );
  });
});
