import { create } from '@bufbuild/protobuf';
import {
  addUsage,
  type ContentBlockParam,
  emptyUsage,
  type LlmClient,
  LlmError,
  toProtoUsage,
} from '@codeframe/llm';
import {
  AgentState,
  type ExecuteTaskRequest,
  type TaskEvent,
  TaskOutcome,
  TaskResultSchema,
  TaskStatus,
  type TestSummary,
} from '@codeframe/proto';
import type { Logger } from '@codeframe/runtime';
import { type AgentRole, sharedInstructions } from './agent-role.js';
import { type BrowserCheckSettings, browserVerdict } from './browser-verdict.js';
import { compactConversation, textOf } from './compaction.js';
import { type ContextSettings, DEFAULT_CONTEXT } from './context-settings.js';
import { Conversation } from './conversation.js';
import { installDependencies } from './dependency-install.js';
import { EventChannel } from './event-channel.js';
import { forkFromMain, type Workspace, WorkspaceError } from './git-workspace.js';
import { type GateVerdict, QualityGates } from './quality-gates.js';
import type { Sandbox } from './sandbox.js';
import { WorkSaver } from './save-work.js';
import {
  CUT_FOLLOW_UP,
  cutReply,
  MAX_CUT_TURNS,
  MAX_NUDGES,
  refusalError,
  TEXT_ONLY_NUDGE,
  turnEnd,
} from './stop-reason.js';
import {
  DEFAULT_STUCK_THRESHOLDS,
  StuckDetector,
  type StuckThresholds,
  stuckNudge,
  stuckQuestion,
} from './stuck-detector.js';
import { taskEvents } from './task-events.js';
import { taskPrompt } from './task-prompt.js';
import { startBaseline, type TestBaseline } from './test-baseline.js';
import { testVerdict } from './test-verdict.js';
import { ToolRunner } from './tool-runner.js';
import type { Tool } from './toolchain.js';
import { TOOL_DEFINITIONS } from './tools/index.js';

export interface AgentLimits {
  maxAttempts: number;
  maxTurns: number;
  maxCostUsd: number;
  commandTimeoutMs: number;
  testTimeoutMs: number;
  maxOutputBytes: number;
  /** When a model going in circles is nudged and stopped; DEFAULT_STUCK_THRESHOLDS if unset. */
  stuck?: StuckThresholds;
}

export interface AgentTaskInput {
  request: ExecuteTaskRequest;
  workspace: Workspace;
  role: AgentRole;
  llm: LlmClient;
  sandbox: Sandbox;
  /** What the sandbox has and allows, for the prompt (describeEnvironment). */
  environment: string;
  /** What the sandbox can run, for the quality gates (tsc, ruff, mypy); none if unset. */
  toolchain?: readonly Tool[];
  agentId: string;
  limits: AgentLimits;
  /** The model's window and how the conversation is kept within it; defaults when unset. */
  context?: Partial<ContextSettings>;
  /** Whether and how long a frontend's pages are checked in Chromium; unset: not at all. */
  browserCheck?: BrowserCheckSettings;
  logger: Logger;
  /** Aborted when the caller cancels or the task's deadline passes. */
  signal: AbortSignal;
}

const FAILURE_FOR_MODEL = 8_000;

/**
 * One task, start to end, as a stream of events: the model works with the tools until it
 * calls finish; the worker then runs the tests itself and feeds failures back (a
 * correction_attempt each time, up to maxAttempts); passing work is committed and pushed.
 * The last event carries the TaskResult. A task whose tests still fail never completes, nor
 * one whose run does not count (no test ran, fewer than its base had: see test-verdict.ts).
 * The conversation (conversation.ts) stays within the model's window: results capped,
 * superseded ones elided, compacted near the window; stop_reason is read (stop-reason.ts).
 */
export async function* runAgentTask(input: AgentTaskInput): AsyncGenerator<TaskEvent> {
  const work = new WorkSaver(input);
  try {
    yield* taskTurns(input, work);
  } finally {
    // Whatever ended the task, even a caller gone mid-step, its work is pushed.
    await work.finally();
  }
}

async function* taskTurns(input: AgentTaskInput, work: WorkSaver): AsyncGenerator<TaskEvent> {
  const { request, role, llm, limits, signal, logger } = input;
  const task = request.task!;
  const ev = taskEvents(task.id, input.agentId);
  const channel = new EventChannel<TaskEvent>();
  const context = { ...DEFAULT_CONTEXT, ...input.context };
  const tools = new ToolRunner({
    workspace: input.workspace,
    sandbox: input.sandbox,
    testCommand: () => role.testCommand(input.workspace.path),
    commandTimeoutMs: limits.commandTimeoutMs,
    testTimeoutMs: limits.testTimeoutMs,
    maxOutputBytes: limits.maxOutputBytes,
    maxResultChars: context.toolResultChars,
    events: ev,
    emit: (event) => channel.push(event),
    signal,
  });
  let usage = emptyUsage();
  const stuckAt = limits.stuck ?? DEFAULT_STUCK_THRESHOLDS;
  const stuck = new StuckDetector(stuckAt);
  let corrections = 0;
  let retriedTooLong = false;
  let cutTurns = 0;
  let nudges = 0;
  let tests: TestSummary | undefined;
  /** The base's test run (startBaseline): the worktree is its own until it settles. */
  let measuring: Promise<TestBaseline | undefined> = Promise.resolve(undefined);
  // An end without completion saves the work so far first (a finished task or a question
  // saved theirs already): its wip commit goes into the result.
  const end = async (
    outcome: TaskOutcome,
    fields: {
      error?: string;
      summary?: string;
      question?: string;
      commitSha?: string;
      filesChanged?: string[];
    } = {},
  ) => {
    // A task that ends early (a failed first call, a spent budget) waits for the base's run.
    await measuring;
    const saved =
      outcome === TaskOutcome.COMPLETED || outcome === TaskOutcome.BLOCKED
        ? {}
        : await work.unfinished(outcome, fields.error);
    return ev.result(
      create(TaskResultSchema, {
        outcome,
        branch: request.branch,
        tests,
        usage: toProtoUsage(usage),
        correctionAttempts: corrections,
        ...fields,
        ...saved,
      }),
    );
  };

  yield ev.status(TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, '', request.attempt);
  // A checkout with a lockfile but no dependencies yet gets them before the model starts.
  const install = yield* installDependencies({ ...input, events: ev, channel });
  if (signal.aborted) return yield* stopped(signal, end, ev);
  // Where the work starts: main, or the commit of main an earlier attempt's work grew from.
  const from = yield* channel.until(continuedFrom(input));
  // The project's lint and type checks, and no skipped test, after the tests pass: the gates
  // the checkout defines now, before anything changes it.
  const gates = await QualityGates.prepare({
    ...input,
    toolchain: input.toolchain ?? [],
    task,
    baseSha: from?.sha ?? input.workspace.baseSha,
    events: ev,
    channel,
  });
  // What the base's tests count, so that finishing with fewer of them does not pass. They
  // run while the model thinks about its first turn; everything that touches the worktree
  // (a tool, the finish, saving the work) waits for them first.
  measuring = (yield* startBaseline({
    workspace: input.workspace,
    from,
    runTests: () => tools.runTests(),
    testCommand: () => role.testCommand(input.workspace.path),
    known: input.request.baseTests,
    signal,
    events: ev,
    channel,
  })).counts;
  let baseline: TestBaseline | undefined;
  const prompt = [taskPrompt(request), install?.note].filter(Boolean).join('\n\n');
  const conversation = new Conversation(prompt, context);
  const system = `${role.systemPrompt}\n\n${sharedInstructions(input.environment)}`;
  const compact = (reason: string) =>
    compactConversation({ llm, system, conversation, signal, channel, ev, reason, usage });

  /** Ends the task with a question for a person, its work saved on its branch first. */
  async function* ask(question: string): AsyncGenerator<TaskEvent> {
    yield ev.agent(AgentState.WAITING_FOR_HUMAN, question);
    const saved = yield* channel.until(
      work.save(`wip(${task.key || task.id}): work before a question`),
    );
    if (saved instanceof WorkspaceError) {
      yield ev.activity(saved.message, '', true);
      yield end(TaskOutcome.FAILED, { error: saved.message });
      return;
    }
    yield end(TaskOutcome.BLOCKED, {
      question,
      commitSha: saved?.sha,
      filesChanged: saved?.filesChanged,
    });
  }

  for (let turn = 1; turn <= limits.maxTurns; turn++) {
    if (limits.maxCostUsd > 0 && usage.costUsd >= limits.maxCostUsd) {
      const error = `the task's budget of $${limits.maxCostUsd.toFixed(2)} is spent ($${usage.costUsd.toFixed(4)} used)`;
      yield ev.activity(error, '', true);
      yield end(TaskOutcome.BUDGET_EXHAUSTED, { error });
      return;
    }
    if (conversation.prepare(turn).compact && conversation.compactable) {
      const { compactPercent, windowTokens } = conversation.settings;
      const reason = `the context reached ${compactPercent}% of the model's ${windowTokens}-token window`;
      usage = yield* compact(reason);
      if (signal.aborted) return yield* stopped(signal, end, ev);
      // The turn starts again, so the budget is checked before its call.
      turn--;
      continue;
    }
    yield ev.agent(AgentState.THINKING, `turn ${turn}`);
    const call = llm.complete({
      system,
      tools: TOOL_DEFINITIONS,
      messages: conversation.messages,
      signal,
      onRetry: ({ attempt, delayMs, error }) =>
        channel.push(
          ev.activity(
            `model call failed (${error.message}); retry ${attempt} in ${(delayMs / 1000).toFixed(1)} s`,
            '',
            true,
          ),
        ),
    });
    let response: Awaited<typeof call>;
    try {
      response = yield* channel.until(call);
    } catch (err) {
      if (signal.aborted) return yield* stopped(signal, end, ev);
      // Too long for the window (the estimate fell short): compacted, the turn is tried again.
      if (err instanceof LlmError && err.kind === 'prompt_too_long' && !retriedTooLong) {
        if (conversation.compactable) {
          retriedTooLong = true;
          usage = yield* compact(`the API answered that the prompt is too long (${err.message})`);
          if (signal.aborted) return yield* stopped(signal, end, ev);
          turn--;
          continue;
        }
      }
      const error = err instanceof LlmError ? err.message : String(err);
      logger.error({ err }, 'model call failed');
      yield end(TaskOutcome.FAILED, { error: `model call failed: ${error}` });
      return;
    }
    retriedTooLong = false;
    usage = addUsage(usage, response.usage);
    yield ev.tokens(response.model, toProtoUsage(response.usage), toProtoUsage(usage));
    const content = response.message.content;
    for (const block of content) {
      if (block.type === 'text' && block.text.trim())
        yield ev.activity(block.text.trim().slice(0, 500));
    }
    const stop = turnEnd(response.message.stop_reason);
    if (stop === 'refused') {
      const error = refusalError(content);
      yield ev.activity(error, '', true);
      yield end(TaskOutcome.FAILED, { error });
      return;
    }
    if (stop === 'cut') {
      if (++cutTurns >= MAX_CUT_TURNS) {
        const error = `the model's replies were cut off at the output limit (max_tokens) ${cutTurns} times in a row`;
        yield ev.activity(error, '', true);
        yield end(TaskOutcome.FAILED, { error });
        return;
      }
      yield ev.activity(
        `the reply was cut off (${response.message.stop_reason}); asking the model to continue`,
      );
      conversation.push({ role: 'assistant', content: cutReply(content) });
      conversation.measured(response.usage);
      conversation.push({ role: 'user', content: [{ type: 'text', text: CUT_FOLLOW_UP }] });
      continue;
    }
    cutTurns = 0;
    conversation.push({ role: 'assistant', content: content as ContentBlockParam[] });
    conversation.measured(response.usage);
    // A paused turn (a long server-side step) goes on when sent back as it is.
    if (stop === 'paused') continue;

    // The reply's tools, its finish and saving the work touch the worktree: the base's tests
    // must have ended there first (settled, this waits for nothing).
    baseline = yield* channel.until(measuring);
    if (signal.aborted) return yield* stopped(signal, end, ev);
    const results: ContentBlockParam[] = [];
    let finish: { id?: string; summary: string } | undefined;
    let question: string | undefined;
    for (const use of content.filter((b) => b.type === 'tool_use')) {
      const toolInput = (use.input ?? {}) as Record<string, unknown>;
      if (use.name === 'finish') {
        finish = {
          id: use.id,
          summary: typeof toolInput.summary === 'string' ? toolInput.summary : '',
        };
        continue;
      }
      yield ev.agent(AgentState.RUNNING_TOOL, use.name);
      yield ev.activity(describeCall(use.name, toolInput), use.name);
      const outcome = yield* channel.until(tools.run(use.name, toolInput));
      if (signal.aborted) return yield* stopped(signal, end, ev);
      if (outcome.tests) {
        tests = outcome.tests.summary;
        yield ev.testResult(outcome.tests.summary, corrections);
      }
      if (outcome.isError)
        yield ev.activity(`${use.name}: ${outcome.content.split('\n')[0]}`, use.name, true);
      if (outcome.question) question = outcome.question;
      results.push({
        type: 'tool_result',
        tool_use_id: use.id,
        content: outcome.content,
        is_error: outcome.isError,
      });
    }

    if (question) return yield* ask(question);

    const toolsUsed = content.some((b) => b.type === 'tool_use');
    // Text alone is not finishing: the model is asked once to call finish or go on.
    if (toolsUsed) nudges = 0;
    else if (nudges < MAX_NUDGES) {
      nudges++;
      conversation.push({ role: 'user', content: [{ type: 'text', text: TEXT_ONLY_NUDGE }] });
      continue;
    }
    if (finish || !toolsUsed) {
      const summary = finish?.summary ?? textOf(content);
      yield ev.agent(AgentState.TESTING, 'running the tests');
      const run = yield* channel.until(tools.runTests());
      if (signal.aborted) return yield* stopped(signal, end, ev);
      tests = run.summary;
      yield ev.testResult(run.summary, corrections);
      const tested = testVerdict({ run, baseline, task, kind: role.kind });
      let verdict: GateVerdict = tested.ok
        ? yield* gates.check(run, corrections, baseline)
        : { ...tested, output: run.output };
      // A frontend's pages are then opened in Chromium (browser-verdict.ts).
      if (verdict.ok) verdict = yield* browserVerdict(input, ev, corrections);
      if (signal.aborted) return yield* stopped(signal, end, ev);
      if (verdict.ok) {
        yield ev.agent(AgentState.COMMITTING);
        const message = `${role.commitType}: ${task.title}\n\n${summary}\n\nTask: ${task.id}`;
        const saved = yield* channel.until(work.save(message));
        if (saved instanceof WorkspaceError) {
          yield ev.activity(saved.message, '', true);
          yield end(TaskOutcome.FAILED, { error: saved.message, summary });
          return;
        }
        if (saved) yield ev.commit(saved.sha, request.branch, message, saved.filesChanged);
        yield ev.agent(AgentState.DONE);
        yield end(TaskOutcome.COMPLETED, {
          summary,
          commitSha: saved?.sha,
          filesChanged: saved?.filesChanged,
        });
        return;
      }
      if (corrections >= limits.maxAttempts || (!verdict.ok && verdict.final)) {
        const tries = verdict.final ? '' : ` after ${corrections} correction attempts`;
        const error = `${verdict.reason}${tries}`;
        yield ev.activity(error, '', true);
        yield end(TaskOutcome.FAILED, { error, summary });
        return;
      }
      corrections++;
      const failure = verdict.output.slice(-FAILURE_FOR_MODEL);
      yield ev.correction(corrections, limits.maxAttempts, failure);
      yield ev.agent(AgentState.CORRECTING, `attempt ${corrections} of ${limits.maxAttempts}`);
      const feedback = `${verdict.feedback} (Correction attempt ${corrections} of ${limits.maxAttempts}.)\n\n${failure}`;
      if (finish?.id)
        results.push({
          type: 'tool_result',
          tool_use_id: finish.id,
          content: feedback,
          is_error: true,
        });
      else results.push({ type: 'text', text: feedback });
    }
    const loop = stuck.observe(content, results);
    // Commands that all meet one error may need what only a person has (access, a tool).
    if (loop?.action === 'stop' && loop.kind === 'command-error') {
      yield ev.activity(`stuck: ${loop.pattern}`, '', true);
      return yield* ask(stuckQuestion(loop));
    }
    if (loop?.action === 'stop') {
      const error = `stuck: ${loop.pattern}`;
      yield ev.activity(error, '', true);
      yield end(TaskOutcome.FAILED, { error });
      return;
    }
    if (loop) {
      yield ev.activity(`nudged: ${loop.pattern}`, '', true);
      results.push({ type: 'text', text: stuckNudge(loop, stuckAt) });
    }
    conversation.push({ role: 'user', content: results });
  }
  const error = `the model used all ${limits.maxTurns} turns without finishing`;
  yield ev.activity(error, '', true);
  yield end(TaskOutcome.FAILED, { error });
}

async function* stopped(
  signal: AbortSignal,
  end: (outcome: TaskOutcome, fields: { error?: string }) => Promise<TaskEvent>,
  ev: ReturnType<typeof taskEvents>,
): AsyncGenerator<TaskEvent> {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the task was cancelled';
  yield ev.activity(reason, '', true);
  const outcome =
    signal.reason instanceof DeadlineError ? TaskOutcome.FAILED : TaskOutcome.CANCELLED;
  yield end(outcome, { error: reason });
}

/**
 * Where main was when the earlier attempt this checkout continues started, so the test gate
 * compares with main's tests, not with what that attempt left (it may have deleted some).
 */
async function continuedFrom(input: AgentTaskInput) {
  const { request, workspace, signal } = input;
  const previous = request.previousAttempt?.branch;
  if (!previous || request.baseRef !== previous) return undefined;
  const sha = await forkFromMain(workspace, signal);
  return sha && sha !== workspace.baseSha ? { sha, branch: request.branch } : undefined;
}

/** Why a task's signal aborts when its deadline passes. */
export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`the task ran past its deadline of ${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`);
  }
}

function describeCall(name: string, input: Record<string, unknown>): string {
  const detail = input.path ?? input.command ?? input.pattern ?? '';
  return detail ? `${name} ${String(detail).slice(0, 200)}` : name;
}
