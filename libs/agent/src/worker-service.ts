import { create } from '@bufbuild/protobuf';
import type { LlmClient } from '@codeframe/llm';
import {
  type ExecuteTaskRequest,
  ExecuteTaskRequestSchema,
  type TaskEvent,
  TaskEventBatchSchema,
  TaskKind,
  TaskOutcome,
  TaskResultSchema,
  type WorkerService,
} from '@codeframe/proto';
import {
  batchMessages,
  callLogger,
  invalidArgument,
  readyGroups,
  wantsBinary,
} from '@codeframe/rpc';
import { type Logger, newErrorId } from '@codeframe/runtime';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { type AgentLimits, DeadlineError, runAgentTask } from './agent-loop.js';
import type { AgentRole } from './agent-role.js';
import type { BrowserCheckSettings } from './browser-verdict.js';
import type { Capacity } from './capacity.js';
import type { ContextSettings } from './context-settings.js';
import {
  isSafeRefName,
  prepareWorktree,
  removeWorktree,
  type Workspace,
  WorkspaceError,
} from './git-workspace.js';
import type { Sandbox } from './sandbox.js';
import { taskEvents } from './task-events.js';
import type { Tool } from './toolchain.js';
import { verifyCommit } from './verify-commit.js';

export interface WorkerIdentity {
  kind: TaskKind;
  version: string;
  workerId: string;
  model: string;
}

export interface WorkerRuntime {
  identity: WorkerIdentity;
  capacity: Capacity;
  role: AgentRole;
  llm: LlmClient;
  workDir: string;
  sandbox: Sandbox;
  /** What sandboxed commands can run (probed at start), and the prompt's words for it. */
  toolchain: Tool[];
  environment: string;
  /** Defaults for limits a request leaves at 0. */
  limits: AgentLimits & { deadlineMs: number };
  /** The model's window and the size of tool results; defaults when unset. */
  context?: Partial<ContextSettings>;
  /** Whether a frontend's pages are checked in Chromium; unset: never. */
  browserCheck?: BrowserCheckSettings;
}

/** The WorkerService of one replica: Describe, ExecuteTask streaming the agent loop (and
 * ExecuteTaskBatches, the same grouped), and VerifyCommit testing a commit of main for the
 * lead. */
export function workerService(rt: WorkerRuntime): ServiceImpl<typeof WorkerService> {
  const service: ServiceImpl<typeof WorkerService> = {
    describe: () => ({
      kind: rt.identity.kind,
      version: rt.identity.version,
      capacity: rt.capacity.limit,
      load: rt.capacity.load,
      workerId: rt.identity.workerId,
      model: rt.identity.model,
      toolchain: rt.toolchain,
      allowedHosts: rt.sandbox.network,
      sandbox: rt.sandbox.mode,
    }),
    verifyCommit: (req, ctx) => verifyCommit(rt, req, ctx.signal, callLogger(ctx)),
    async *executeTask(req, ctx) {
      const request = validated(req, rt.identity.kind);
      const log = callLogger(ctx);
      const release = rt.capacity.acquire();
      const limits = { ...rt.limits };
      const given = request.limits;
      if (given?.maxAttempts) limits.maxAttempts = given.maxAttempts;
      if (given?.maxTurns) limits.maxTurns = given.maxTurns;
      if (given?.maxCostUsd) limits.maxCostUsd = given.maxCostUsd;
      const deadlineMs = given?.deadlineMs ? Number(given.deadlineMs) : rt.limits.deadlineMs;
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(new DeadlineError(deadlineMs)), deadlineMs);
      const signal = AbortSignal.any([ctx.signal, deadline.signal]);
      let workspace: Workspace | undefined;
      try {
        if (rt.sandbox.mode === 'none') {
          log.warn(
            'CODEFRAME_SANDBOX=none: this task runs commands without a sandbox, with network and write access outside its worktree',
          );
        }
        try {
          workspace = await prepare(request, rt.workDir, signal);
        } catch (err) {
          // The deadline can pass before the work starts (a slow fetch): that is a result.
          if (!(deadline.signal.reason instanceof DeadlineError)) throw err;
          const error = deadline.signal.reason.message;
          yield taskEvents(request.task!.id, rt.identity.workerId).result(
            create(TaskResultSchema, {
              outcome: TaskOutcome.FAILED,
              branch: request.branch,
              error,
            }),
          );
          return;
        }
        log.info(
          { worktree: workspace.path, base: request.baseRef, branch: request.branch },
          'task started',
        );
        const run = runAgentTask({
          request,
          workspace,
          role: rt.role,
          llm: rt.llm,
          sandbox: rt.sandbox,
          environment: rt.environment,
          toolchain: rt.toolchain,
          agentId: rt.identity.workerId,
          limits,
          context: rt.context,
          browserCheck: rt.browserCheck,
          logger: log,
          signal,
        });
        yield* resultOnError(run, request, rt.identity.workerId, log);
      } finally {
        clearTimeout(timer);
        if (workspace)
          await removeWorktree(workspace, request.branch).catch((err) =>
            log.warn({ err }, 'could not remove the worktree'),
          );
        release();
      }
    },
    // The same task's events, grouped as they are ready (libs/rpc message-batches.ts).
    async *executeTaskBatches(req, ctx) {
      const binary = wantsBinary(ctx.requestHeader.get('content-type'));
      const events = service.executeTask(req, ctx) as AsyncIterable<TaskEvent>;
      for await (const group of readyGroups(events[Symbol.asyncIterator]())) {
        yield* batchMessages(TaskEventBatchSchema, group, binary);
      }
    },
  };
  return service;
}

/**
 * The task's events; an error the loop did not expect (a push that failed, a bug) ends the
 * task with a FAILED result naming it, not a broken stream that would make the lead think
 * this worker is down.
 */
async function* resultOnError(
  run: AsyncGenerator<TaskEvent>,
  request: ExecuteTaskRequest,
  workerId: string,
  log: Logger,
): AsyncGenerator<TaskEvent> {
  try {
    yield* run;
  } catch (err) {
    const id = newErrorId();
    log.error({ err, errorId: id }, 'the task failed on an unexpected error');
    const message = err instanceof Error ? err.message : String(err);
    yield taskEvents(request.task!.id, workerId).result(
      create(TaskResultSchema, {
        outcome: TaskOutcome.FAILED,
        branch: request.branch,
        error: `the worker failed on this task (error ${id}): ${message}`,
      }),
    );
  }
}

/** Checks a request and fills its defaults; INVALID_ARGUMENT names the field. */
function validated(req: ExecuteTaskRequest, kind: TaskKind): ExecuteTaskRequest {
  // Required fields and the limits' ranges are rules in worker.proto and types.proto, checked
  // before a handler runs (libs/rpc request-validation.ts).
  const task = req.task!;
  if (task.kind !== TaskKind.UNSPECIFIED && task.kind !== kind) {
    throw invalidArgument(
      'task.kind',
      `this worker runs ${TaskKind[kind].toLowerCase()} tasks, not ${TaskKind[task.kind].toLowerCase()} ones`,
    );
  }
  const branch = req.branch || `task/${task.id}`;
  if (!isSafeRefName(branch))
    throw invalidArgument('branch', `"${branch}" is not a valid branch name`);
  return create(ExecuteTaskRequestSchema, { ...req, branch, attempt: req.attempt || 1 });
}

async function prepare(
  request: ExecuteTaskRequest,
  workDir: string,
  signal: AbortSignal,
): Promise<Workspace> {
  try {
    return await prepareWorktree({
      repoUrl: request.repoUrl,
      baseRef: request.baseRef,
      branch: request.branch,
      workDir,
      signal,
    });
  } catch (err) {
    if (err instanceof WorkspaceError) {
      throw new ConnectError(
        err.message,
        err.code === 'git_failed' ? Code.Internal : Code.FailedPrecondition,
      );
    }
    throw err;
  }
}
