// What every CodeFRAME service must do as a process, as one suite each service runs on
// its own built entry point: health over gRPC to grpc-js and Connect, a one-line error
// for a bad PORT, and a clean exit 0 on SIGTERM with a server stream open.

import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create, createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import {
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from '@bufbuild/protobuf/wkt';
import {
  FIXED_MODULE,
  idle,
  selfCorrectingModuleBrain,
  startFakeAnthropic,
  toolUse,
} from '@codeframe/fake-anthropic';
import {
  Health,
  HealthCheckResponse_ServingStatus as Status,
  TaskKind,
  WorkerService,
} from '@codeframe/proto';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcJsClient, grpcJsHealthCheck, grpcJsReflect, grpcJsUnary } from './grpc-js-client.js';
import { runToExit, type ServiceProcess, startServiceProcess } from './service-process.js';

export interface ConformanceOptions {
  /** Built entry point relative to the workspace root, e.g. services/lead/dist/main.js */
  entry: string;
  /** Fully-qualified gRPC services the process reports healthy. */
  services: string[];
  /** Listener names the process logs; the gRPC one is "rpc". */
  listeners?: string[];
  env?: Record<string, string>;
}

export function describeServiceConformance(options: ConformanceOptions): void {
  const listeners = options.listeners ?? ['rpc'];
  const start = (env: Record<string, string> = {}) =>
    startServiceProcess({
      entry: options.entry,
      listeners: listeners.length,
      env: { CODEFRAME_SHUTDOWN_GRACE_MS: '2000', ...options.env, ...env },
    });

  describe(`${options.entry} as a process`, () => {
    let service: ServiceProcess;
    beforeAll(async () => {
      service = await start();
    });
    afterAll(() => service?.stop('SIGKILL'));

    it('logs each address it listens on', () => {
      expect(Object.keys(service.ports).sort()).toEqual([...listeners].sort());
    });

    it('answers grpc.health.v1 Check with SERVING to grpc-js and to a Connect client', async () => {
      const address = `127.0.0.1:${service.ports.rpc}`;
      expect(await grpcJsHealthCheck(address)).toBe('SERVING');
      for (const name of options.services)
        expect(await grpcJsHealthCheck(address, name)).toBe('SERVING');
      const transport = createConnectTransport({
        baseUrl: `http://127.0.0.1:${service.ports.rpc}`,
        httpVersion: '1.1',
      });
      const res = await createClient(Health, transport).check({
        service: options.services[0] ?? '',
      });
      expect(res.status).toBe(Status.SERVING);
    });

    it('serves grpc.reflection v1 and v1alpha: lists, describes each service, NOT_FOUND for unknown names', async () => {
      const address = `127.0.0.1:${service.ports.rpc}`;
      const served = [
        ...options.services,
        'grpc.health.v1.Health',
        'grpc.reflection.v1.ServerReflection',
        'grpc.reflection.v1alpha.ServerReflection',
      ].sort();
      for (const version of ['v1', 'v1alpha'] as const) {
        const [list] = await grpcJsReflect(address, [{ listServices: '' }], version);
        expect(list?.listServicesResponse?.service.map((s) => s.name)).toEqual(served);
      }
      // Describe as grpcurl does: the file declaring each service, with its dependencies,
      // resolves every method's request and response types.
      const answers = await grpcJsReflect(
        address,
        served.map((name) => ({ fileContainingSymbol: name })),
      );
      const files = answers.flatMap((a) =>
        (a.fileDescriptorResponse?.fileDescriptorProto ?? []).map((b) =>
          fromBinary(FileDescriptorProtoSchema, b),
        ),
      );
      const byName = new Map(files.map((f) => [f.name, f]));
      for (const [index, name] of served.entries()) {
        const first = answers[index]?.fileDescriptorResponse?.fileDescriptorProto[0];
        expect(first, name).toBeDefined();
        const file = fromBinary(FileDescriptorProtoSchema, first ?? new Uint8Array());
        const registry = createFileRegistry(withImports(file, byName));
        const svc = registry.getService(name);
        expect(svc?.methods.length, name).toBeGreaterThan(0);
        for (const method of svc?.methods ?? []) {
          expect(method.input.typeName).toMatch(/\./);
          expect(method.output.typeName).toMatch(/\./);
        }
      }
      const errors = await grpcJsReflect(address, [
        { fileContainingSymbol: 'codeframe.v1.NoSuchService' },
        { fileByFilename: 'no/such.proto' },
        { fileContainingSymbol: 'x'.repeat(100_000) },
      ]);
      expect(errors.map((e) => e.errorResponse)).toEqual([
        { errorCode: 5, errorMessage: 'no symbol "codeframe.v1.NoSuchService" is served here' },
        { errorCode: 5, errorMessage: 'no file "no/such.proto" is served here' },
        {
          errorCode: 3,
          errorMessage:
            'the name in fileContainingSymbol is 100000 characters long; the limit is 512',
        },
      ]);
    });
  });

  it('stops with one line naming PORT when PORT is not a port', async () => {
    const run = await runToExit(options.entry, { ...options.env, PORT: 'abc' });
    expect(run.code).toBe(78);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/configuration error: PORT="abc" is not a port number/);
  });

  it('exits 0 on SIGTERM, ending an open server stream cleanly within the drain deadline', async () => {
    const service = await start();
    const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${service.ports.rpc}` });
    const statuses: Status[] = [];
    const watching = (async () => {
      for await (const res of createClient(Health, transport).watch({})) {
        statuses.push(res.status);
        if (statuses.length === 1) process.kill(service.child.pid!, 'SIGTERM');
      }
    })();
    const started = Date.now();
    await expect(watching).resolves.toBeUndefined();
    expect(await service.exited()).toBe(0);
    expect(statuses).toEqual([Status.SERVING, Status.NOT_SERVING]);
    expect(Date.now() - started).toBeLessThan(2_000 + 3_000);
    expect(service.logs.map((l) => l.msg)).toContain('stopped');
  });
}

/** The conformance suite plus what every worker kind answers to Describe. */
export function describeWorkerConformance(options: {
  entry: string;
  kind: 'backend' | 'frontend' | 'test';
  /** The role's system prompt, which the model's every request must carry. */
  systemPrompt: string;
}) {
  describeServiceConformance({ entry: options.entry, services: ['codeframe.v1.WorkerService'] });

  it('builds a module with a failing first attempt and a fix, pushing task/<id>, over gRPC from grpc-js', async () => {
    const dir = await mkdtemp(join(tmpdir(), `worker-${options.kind}-`));
    const fake = await startFakeAnthropic({ brain: selfCorrectingModuleBrain });
    const worker = await startServiceProcess({
      entry: options.entry,
      env: { ANTHROPIC_BASE_URL: fake.url, CODEFRAME_WORK_DIR: join(dir, 'work') },
    });
    const client = grpcJsClient(
      'codeframe/v1/worker.proto',
      'codeframe.v1.WorkerService',
      `127.0.0.1:${worker.port}`,
    );
    try {
      const bare = seedBareRepo(dir);
      const call = (client.ExecuteTask as (req: object) => AsyncIterable<Record<string, unknown>>)({
        projectId: 'p1',
        task: { id: 'mod-1', title: 'Add add()', kind: `TASK_KIND_${options.kind.toUpperCase()}` },
        repoUrl: `file://${bare}`,
        baseRef: 'main',
      });
      const events: Record<string, unknown>[] = [];
      for await (const event of call) events.push(event);
      expect(events.at(-1)?.result).toMatchObject({
        outcome: 'TASK_OUTCOME_COMPLETED',
        correctionAttempts: 1,
      });
      expect(events.filter((e) => e.correctionAttempt)).toHaveLength(1);
      // The role's prompt (a few hundred words at most) and the instructions all roles share
      // reached every request.
      expect(options.systemPrompt.split(/\s+/).length).toBeLessThan(300);
      for (const { body } of fake.requests) {
        expect(JSON.stringify(body.system)).toContain(
          JSON.stringify(options.systemPrompt).slice(1, -1),
        );
        expect(JSON.stringify(body.system)).toMatch(/## How this team works/);
      }
      // The failing test output is in what the model was sent after the first attempt.
      expect(JSON.stringify(fake.requests[1]?.body.messages.at(-1))).toMatch(
        /tests failed[\s\S]*fail/i,
      );
      expect(
        execFileSync('git', ['--git-dir', bare, 'show', 'task/mod-1:math.js'], {
          encoding: 'utf8',
        }),
      ).toBe(FIXED_MODULE);
    } finally {
      client.close();
      await worker.stop();
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("pushes a running task's work before it exits on SIGTERM, however slow the push", async () => {
    const dir = await mkdtemp(join(tmpdir(), `worker-${options.kind}-stop-`));
    // Writes a file, then thinks until the call is cancelled.
    const fake = await startFakeAnthropic({
      brain: async (request, { signal }) => {
        if (request.messages.length === 1)
          return { content: [toolUse('write_file', { path: 'draft.txt', content: 'draft\n' })] };
        await idle(60_000, signal);
        throw new Error('not reached');
      },
    });
    const worker = await startServiceProcess({
      entry: options.entry,
      env: {
        ANTHROPIC_BASE_URL: fake.url,
        CODEFRAME_WORK_DIR: join(dir, 'work'),
        CODEFRAME_SHUTDOWN_GRACE_MS: '300',
      },
    });
    try {
      const bare = seedBareRepo(dir);
      // The project repository takes its time to accept a push.
      writeFileSync(join(bare, 'hooks', 'pre-receive'), '#!/bin/sh\nsleep 2\n');
      chmodSync(join(bare, 'hooks', 'pre-receive'), 0o755);
      const client = createClient(
        WorkerService,
        createGrpcTransport({ baseUrl: `http://127.0.0.1:${worker.port}` }),
      );
      const events = (async () => {
        const call = client.executeTask({
          projectId: 'p1',
          task: {
            id: 'stop-1',
            title: 'Draft',
            kind: TaskKind[options.kind.toUpperCase() as 'BACKEND'],
          },
          repoUrl: `file://${bare}`,
          baseRef: 'main',
        });
        for await (const _ of call);
      })().catch(() => {});
      await expect.poll(() => fake.requests.length, { timeout: 15_000 }).toBe(2);
      expect(await worker.stop('SIGTERM')).toBe(0);
      // Pushed before the process ended, not by a git left running after it.
      expect(
        execFileSync('git', ['--git-dir', bare, 'show', 'task/stop-1:draft.txt'], {
          encoding: 'utf8',
        }),
      ).toBe('draft\n');
      await events;
    } finally {
      await worker.stop('SIGKILL');
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers Describe over gRPC to grpc-js with its kind, version, capacity and sandbox', async () => {
    const worker = await startServiceProcess({
      entry: options.entry,
      env: { CODEFRAME_WORKER_CAPACITY: '7' },
    });
    const client = grpcJsClient(
      'codeframe/v1/worker.proto',
      'codeframe.v1.WorkerService',
      `127.0.0.1:${worker.port}`,
    );
    try {
      expect(await grpcJsUnary(client, 'Describe', {})).toMatchObject({
        kind: `TASK_KIND_${options.kind.toUpperCase()}`,
        version: '0.1.0',
        capacity: 7,
        load: 0,
        workerId: `${options.kind}@127.0.0.1:${worker.port}`,
        sandbox: 'bwrap',
        // The npm registry this machine's npm uses, as host:port.
        allowedHosts: [expect.stringMatching(/^[\w.-]+:\d+$/)],
      });
      // The toolchain was probed in the sandbox: the worker's own node and npm are there.
      const { toolchain } = await grpcJsUnary<{ toolchain: { name: string; version: string }[] }>(
        client,
        'Describe',
        {},
      );
      expect(toolchain.find((t) => t.name === 'node')?.version).toBe(process.version);
      expect(toolchain.map((t) => t.name)).toEqual(expect.arrayContaining(['npm', 'git']));
    } finally {
      client.close();
      await worker.stop();
    }
  });
}

/** A bare repository with one commit on main, as a project repo starts: a README, or the
 * files given (path → content), as an existing repository would have them. */
export function seedBareRepo(dir: string, files: Record<string, string> = {}): string {
  const bare = join(dir, 'project.git');
  const seed = join(dir, 'seed');
  const git = (args: string[], cwd?: string) => execFileSync('git', args, { cwd, stdio: 'pipe' });
  git(['init', '--bare', '-b', 'main', bare]);
  git(['init', '-b', 'main', seed]);
  const contents = Object.keys(files).length > 0 ? files : { 'README.md': '# project\n' };
  for (const [path, content] of Object.entries(contents)) {
    mkdirSync(dirname(join(seed, path)), { recursive: true });
    writeFileSync(join(seed, path), content);
  }
  git(['add', '.'], seed);
  git(['-c', 'user.name=seed', '-c', 'user.email=seed@localhost', 'commit', '-qm', 'init'], seed);
  git(['push', '-q', bare, 'main'], seed);
  return bare;
}

/**
 * `file` and everything it imports, as reflection sent them, imports first. Not
 * createFileRegistry's own resolver: it adds the files breadth-first and fails when a file
 * imported twice (validate.proto, by worker.proto and by types.proto) comes after a file
 * that needs it (@bufbuild/protobuf 2.13).
 */
function withImports(file: FileDescriptorProto, byName: Map<string, FileDescriptorProto>) {
  const ordered: FileDescriptorProto[] = [];
  const seen = new Set<string>();
  const visit = (f: FileDescriptorProto) => {
    if (seen.has(f.name)) return;
    seen.add(f.name);
    for (const name of f.dependency) {
      const dep = byName.get(name);
      if (!dep) throw new Error(`reflection sent no ${name}, which ${f.name} imports`);
      visit(dep);
    }
    ordered.push(f);
  };
  visit(file);
  return create(FileDescriptorSetSchema, { file: ordered });
}
