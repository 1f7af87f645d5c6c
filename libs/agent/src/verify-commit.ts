import { randomBytes } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import {
  TaskKind,
  type VerifyCommitRequest,
  type VerifyCommitResponse,
  VerifyCommitResponseSchema,
} from '@codeframe/proto';
import { invalidArgument } from '@codeframe/rpc';
import type { Logger } from '@codeframe/runtime';
import type { AgentRole } from './agent-role.js';
import type { Capacity } from './capacity.js';
import { installDependencies } from './dependency-install.js';
import { EventChannel } from './event-channel.js';
import {
  isSafeRefName,
  prepareWorktree,
  removeWorktree,
  type Workspace,
  WorkspaceError,
} from './git-workspace.js';
import type { Sandbox } from './sandbox.js';
import { taskEvents } from './task-events.js';
import { hasTests } from './test-baseline.js';
import { runTests } from './test-runner.js';
import { testVerdict } from './test-verdict.js';

// The lead's check that main stays green: the project's tests on a fresh checkout of one
// commit, run here because the lead never runs project code. The same steps as a task's
// finish gate (locked dependencies installed, the role's test command in the sandbox, the
// verdict that a run of no tests does not pass), without a model; nothing is committed.

export interface VerifyRuntime {
  capacity: Capacity;
  role: AgentRole;
  workDir: string;
  sandbox: Sandbox;
  limits: { testTimeoutMs: number; maxOutputBytes: number };
}

export async function verifyCommit(
  rt: VerifyRuntime,
  req: VerifyCommitRequest,
  signal: AbortSignal,
  log: Logger,
): Promise<VerifyCommitResponse> {
  // repo_url and ref are required by worker.proto's rules (libs/rpc request-validation.ts).
  if (!isSafeRefName(req.ref))
    throw invalidArgument('ref', `"${req.ref.slice(0, 100)}" is not a branch name or commit sha`);
  const release = rt.capacity.acquire();
  let workspace: Workspace | undefined;
  const branch = `verify/${randomBytes(6).toString('hex')}`;
  try {
    try {
      workspace = await prepareWorktree({
        repoUrl: req.repoUrl,
        baseRef: req.ref,
        branch,
        workDir: rt.workDir,
        signal,
      });
    } catch (err) {
      if (!(err instanceof WorkspaceError)) throw err;
      return create(VerifyCommitResponseSchema, {
        passed: false,
        summary: `could not check out ${req.ref}`,
        error: err.message,
      });
    }
    const commitSha = workspace.baseSha;
    if (!(await hasTests(workspace.path))) {
      return create(VerifyCommitResponseSchema, {
        passed: true,
        commitSha,
        summary: 'no tests to run: the checkout holds no test files',
      });
    }
    const install = await drain(
      installDependencies({
        workspace,
        sandbox: rt.sandbox,
        limits: rt.limits,
        signal,
        events: taskEvents('', ''),
        channel: new EventChannel(),
      }),
    );
    const command = await rt.role.testCommand(workspace.path);
    const run = await runTests({
      workspace,
      command,
      sandbox: rt.sandbox,
      timeoutMs: rt.limits.testTimeoutMs,
      signal,
    });
    const task = { title: '', description: '', acceptanceCriteria: [], kind: TaskKind.UNSPECIFIED };
    const verdict = testVerdict({ run, baseline: undefined, task, kind: rt.role.kind });
    const { passed, failed, skipped } = run.summary;
    const counts = `${passed} passed, ${failed} failed, ${skipped} skipped`;
    if (!verdict.ok && install?.note)
      run.summary.output = `${install.note}\n\n${run.summary.output}`;
    return create(VerifyCommitResponseSchema, {
      passed: verdict.ok,
      commitSha,
      tests: run.summary,
      summary: verdict.ok ? `${command}: ${counts}` : `${command}: ${verdict.reason} (${counts})`,
    });
  } finally {
    if (workspace)
      await removeWorktree(workspace, branch).catch((err) =>
        log.warn({ err }, 'could not remove the checkout of a verified commit'),
      );
    release();
  }
}

/** Runs a generator to its end, its yields dropped, and returns what it returned. */
async function drain<R>(gen: AsyncGenerator<unknown, R>): Promise<R> {
  for (;;) {
    const step = await gen.next();
    if (step.done) return step.value;
  }
}
