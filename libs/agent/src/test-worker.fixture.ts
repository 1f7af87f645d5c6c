// A worker service on a loopback port with fake-anthropic as its model and a real sandbox:
// what the worker's specs drive over gRPC, as the lead does.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Brain,
  type FakeAnthropic,
  startFakeAnthropic,
  toolUse,
} from '@codeframe/fake-anthropic';
import { DEFAULT_PRICES, LlmClient, type PriceTable } from '@codeframe/llm';
import { TaskKind, type VerifyCommitResponse, WorkerService } from '@codeframe/proto';
import { createRpcClient, type RpcServer, startRpcServer } from '@codeframe/rpc';
import { silentLogger } from '@codeframe/runtime';
import { grpcJsClient, grpcJsUnary, seedBareRepo } from '@codeframe/testkit';
import type { AgentLimits } from './agent-loop.js';
import { Capacity } from './capacity.js';
import type { ContextSettings } from './context-settings.js';
import type { Workspace } from './git-workspace.js';
import { detectTestCommand } from './project-files.js';
import { Sandbox, type SandboxSettings } from './sandbox.js';
import { sandboxSettingsIn } from './sandbox-settings.js';
import { taskEvents } from './task-events.js';
import { ToolRunner } from './tool-runner.js';
import { describeEnvironment, probeToolchain } from './toolchain.js';
import { workerService } from './worker-service.js';

export type Json = Record<string, unknown>;
export type WireEvent = Json & {
  result?: Json;
  correctionAttempt?: Json;
  activityUpdate?: Json;
  commandOutput?: Json;
  testResult?: { summary: Json };
};

export interface TestWorker {
  fake: FakeAnthropic;
  server: RpcServer;
  sandbox: Sandbox;
  /** The brain the fake model plays; replace it per test. */
  brain: Brain;
  /** Runs one ExecuteTask to its end over grpc-js; the error when the call failed. */
  execute(request: Json): Promise<{ events: WireEvent[]; error?: Json }>;
  describe(): Promise<Json>;
  /** VerifyCommit as the lead calls it (connect-node, a long deadline). */
  verify(request: { repoUrl: string; ref: string }): Promise<VerifyCommitResponse>;
  close(): Promise<void>;
}

export async function startTestWorker(
  dir: string,
  options: {
    brain: Brain;
    sandbox?: Partial<SandboxSettings>;
    commandTimeoutMs?: number;
    /** The worker's kind (its role's too); backend by default. */
    kind?: TaskKind;
    prices?: PriceTable;
    /** Defaults for limits a request leaves at 0, over the fixture's own. */
    limits?: Partial<AgentLimits>;
    /** The model's window (fake-anthropic answers 400 past it) and the context settings. */
    context?: Partial<ContextSettings>;
    /** fake-anthropic's own window, when it differs from the one the worker is told. */
    fakeWindowTokens?: number;
    maxOutputBytes?: number;
    /** The role checks its pages in Chromium (as the frontend's does). */
    browserCheck?: boolean;
  },
): Promise<TestWorker> {
  const worker = { brain: options.brain } as TestWorker;
  const fake = await startFakeAnthropic({
    brain: (req, ctx) => worker.brain(req, ctx),
    contextWindowTokens: options.fakeWindowTokens ?? options.context?.windowTokens,
  });
  const llm = new LlmClient({
    apiKey: 'k',
    baseUrl: fake.url,
    model: 'claude-sonnet-5-5',
    prices: options.prices ?? DEFAULT_PRICES,
    maxRetries: 5,
    requestTimeoutMs: 10_000,
    maxTokens: 1024,
    logger: silentLogger,
    backoff: { baseMs: 10, maxMs: 100 },
  });
  const sandbox = await Sandbox.create(sandboxSettingsIn(join(dir, 'sandbox'), options.sandbox));
  await mkdir(join(dir, 'probe'), { recursive: true });
  const toolchain = await probeToolchain(sandbox, join(dir, 'probe'));
  const kind = options.kind ?? TaskKind.BACKEND;
  const runtime = {
    identity: {
      kind,
      version: 't',
      workerId: `${TaskKind[kind].toLowerCase()}@test`,
      model: llm.model,
    },
    capacity: new Capacity(60),
    role: {
      kind,
      systemPrompt: 'You are a test backend engineer.',
      commitType: 'feat',
      testCommand: detectTestCommand,
      browserCheck: options.browserCheck,
    },
    llm,
    workDir: join(dir, 'work'),
    sandbox,
    toolchain,
    environment: describeEnvironment(toolchain, sandbox.network),
    limits: {
      maxAttempts: 3,
      maxTurns: 10,
      maxCostUsd: 0,
      deadlineMs: 600_000,
      commandTimeoutMs: options.commandTimeoutMs ?? 10_000,
      testTimeoutMs: 60_000,
      maxOutputBytes: options.maxOutputBytes ?? 100_000,
      ...options.limits,
    },
    context: options.context,
    browserCheck: { enabled: true, timeoutMs: 90_000 },
  };
  const server = await startRpcServer({
    host: '127.0.0.1',
    port: 0,
    logger: silentLogger,
    services: [WorkerService],
    authToken: undefined,
    shutdownGraceMs: 100,
    routes: (r) => r.service(WorkerService, workerService(runtime)),
  });
  const client = () =>
    grpcJsClient(
      'codeframe/v1/worker.proto',
      'codeframe.v1.WorkerService',
      `127.0.0.1:${server.port}`,
    );
  return Object.assign(worker, {
    fake,
    server,
    sandbox,
    async execute(request: Json) {
      const grpc = client();
      const call = (grpc.ExecuteTask as (req: object) => AsyncIterable<WireEvent>)(request);
      const events: WireEvent[] = [];
      try {
        for await (const event of call) events.push(event);
        return { events };
      } catch (err) {
        return { events, error: err as Json };
      } finally {
        grpc.close();
      }
    },
    async describe() {
      const grpc = client();
      try {
        return await grpcJsUnary<Json>(grpc, 'Describe', {});
      } finally {
        grpc.close();
      }
    },
    verify(request: { repoUrl: string; ref: string }) {
      const rpc = createRpcClient(WorkerService, { baseUrl: `http://127.0.0.1:${server.port}` });
      return rpc.verifyCommit({ projectId: 'p', ...request }, { timeoutMs: 120_000 });
    },
    async close() {
      await server.close();
      await sandbox.close();
      await fake.close();
    },
  });
}

/** package.json whose test script runs one passing test: what a planted task writes so that
 * it can finish (a run of no tests does not count). */
export const PASSING_TESTS = JSON.stringify({
  scripts: { test: "node -e \"require('node:test').test('ok', () => {})\"" },
});

/** A brain that runs `commands` in its first turn, with a package.json whose tests pass,
 * then finishes. */
export function planting(commands: string[]): Brain {
  return (req) =>
    req.messages.length === 1
      ? {
          content: [
            toolUse('write_file', { path: 'package.json', content: PASSING_TESTS }),
            ...commands.map((command) => toolUse('run_command', { command })),
          ],
        }
      : { content: [toolUse('finish', { summary: 'planted' })] };
}

/** Does `first` in its first turn, then finishes again whatever the worker answers. */
export const doing =
  (...first: ReturnType<typeof toolUse>[]): Brain =>
  (req) =>
    req.messages.length === 1
      ? { content: [...first, toolUse('finish', { summary: 'done' })] }
      : { content: [toolUse('finish', { summary: 'done again' })] };

/**
 * Runs `task` on a new repository seeded with `files`, the worker playing `brain`: the
 * events, the result, the last message of each model request, the repository's URL.
 */
export async function runTask(
  worker: TestWorker,
  repo: (files?: Record<string, string>) => string,
  brain: Brain,
  task: Json,
  files?: Record<string, string>,
) {
  worker.brain = brain;
  const before = worker.fake.requests.length;
  const bare = repo(files);
  const { events } = await worker.execute({ task, repoUrl: bare, baseRef: 'main' });
  const sent = worker.fake.requests
    .slice(before)
    .map((r) => JSON.stringify(r.body.messages.at(-1)));
  return { events, result: outcome(events), sent, bare };
}

/** The TaskResult a stream ended with. */
export const outcome = (events: WireEvent[]) => events.at(-1)?.result as Json | undefined;

/** Makes bare repositories under `dir`, each seeded with `files` (a README if none), and
 * returns their file:// URLs. */
export function repoMaker(dir: string): (files?: Record<string, string>) => string {
  let n = 0;
  return (files) => {
    const at = join(dir, `repo-${n++}`);
    mkdirSync(at, { recursive: true });
    return `file://${seedBareRepo(at, files)}`;
  };
}

/** A ToolRunner for the file tools over `worktree` (no sandbox: commands are not run). */
export function fileToolRunner(worktree: string): ToolRunner {
  return new ToolRunner({
    workspace: { path: worktree } as Workspace,
    sandbox: {} as Sandbox,
    testCommand: async () => 'true',
    commandTimeoutMs: 1000,
    testTimeoutMs: 1000,
    maxOutputBytes: 1000,
    events: taskEvents('t', 'a'),
    emit: () => {},
    signal: new AbortController().signal,
  });
}

/** Runs git on the host (for a spec to look at repositories), returning its trimmed output. */
export function git(args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8' }).trim();
}
