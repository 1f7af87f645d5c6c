import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  type MessagesRequest,
  STEP_BY_STEP_TASK,
  startFakeAnthropic,
  stepByStepModuleBrain,
  TokenMeter,
} from '@codeframe/fake-anthropic';
import { ExecuteTaskRequestSchema, TaskKind, TaskOutcome, WorkerService } from '@codeframe/proto';
import { createRpcClient } from '@codeframe/rpc';
import { seedBareRepo, startServiceProcess } from '@codeframe/testkit';
import { trackChild } from '../harness/child-registry.js';

// Prompt caching on a long task: one task of `turns` model calls (one tool call each, then
// finish) runs through a real worker process against fake-anthropic, whose prompt cache
// accounts for each request as the API does. The worker's own usage gives the share of input
// read from the cache; the baseline is the same requests with the conversation's breakpoints
// taken out (what the client sent before: system prompt and tools only), replayed through a
// fresh cache with the same accounting. The requests as sent are replayed too, as a check
// that the replay reproduces what the worker was told.

export interface PromptCacheParams {
  turns: number;
  timeoutMs: number;
}

export interface CacheFigures {
  requests: number;
  inputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** cache reads ÷ every input token (uncached, read and written). */
  readShare: number;
  /** Input cost against sending every token uncached, at the API's multipliers (a cache
   * write costs 1.25× an input token, a read 0.1×). */
  inputCostShare: number;
}

export interface PromptCacheResult {
  params: PromptCacheParams;
  outcome: string;
  /** As the worker reported its usage (the client now: a breakpoint on the conversation). */
  conversation: CacheFigures;
  /** The same requests replayed as sent: equal to `conversation` when the replay is faithful. */
  replayed: CacheFigures;
  /** The same requests without the conversation's breakpoints (the client before). */
  baseline: CacheFigures;
}

export async function runPromptCache(
  params: PromptCacheParams,
  log: (line: string) => void = () => {},
): Promise<PromptCacheResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-prompt-cache-'));
  const fake = await startFakeAnthropic({ brain: stepByStepModuleBrain(params.turns) });
  const worker = await startServiceProcess({
    entry: 'services/worker-backend/dist/main.js',
    env: {
      ANTHROPIC_BASE_URL: fake.url,
      CODEFRAME_WORK_DIR: join(dir, 'work'),
      CODEFRAME_MAX_TURNS: String(params.turns),
      CODEFRAME_SHUTDOWN_GRACE_MS: '1000',
    },
  });
  trackChild(worker.child);
  try {
    log(`prompt cache: one task of ${params.turns} model calls on a worker`);
    const client = createRpcClient(WorkerService, { baseUrl: `http://127.0.0.1:${worker.port}` });
    const { context, ...task } = STEP_BY_STEP_TASK;
    const request = create(ExecuteTaskRequestSchema, {
      projectId: 'bench',
      task: { id: 'cache', key: 'cache', kind: TaskKind.BACKEND, ...task },
      context,
      repoUrl: `file://${seedBareRepo(dir)}`,
      baseRef: 'main',
    });
    let outcome = TaskOutcome.UNSPECIFIED;
    let usage = { inputTokens: 0n, cacheReadInputTokens: 0n, cacheCreationInputTokens: 0n };
    for await (const event of client.executeTask(request, {
      signal: AbortSignal.timeout(params.timeoutMs),
    })) {
      if (event.payload.case === 'result') {
        outcome = event.payload.value.outcome;
        usage = { ...usage, ...event.payload.value.usage };
      }
    }
    const bodies = fake.requests.filter((r) => !r.fault && !r.rejected).map((r) => r.body);
    return {
      params,
      outcome: TaskOutcome[outcome] ?? String(outcome),
      conversation: figures(
        bodies.length,
        Number(usage.inputTokens),
        Number(usage.cacheReadInputTokens),
        Number(usage.cacheCreationInputTokens),
      ),
      replayed: replay(bodies),
      baseline: replay(bodies.map(withoutConversationBreakpoints)),
    };
  } finally {
    await worker.stop();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function replay(bodies: MessagesRequest[]): CacheFigures {
  const meter = new TokenMeter();
  let input = 0;
  let read = 0;
  let written = 0;
  for (const body of bodies) {
    const usage = meter.measure(body, []);
    input += usage.input_tokens;
    read += usage.cache_read_input_tokens ?? 0;
    written += usage.cache_creation_input_tokens ?? 0;
  }
  return figures(bodies.length, input, read, written);
}

function figures(requests: number, input: number, read: number, written: number): CacheFigures {
  const total = input + read + written;
  return {
    requests,
    inputTokens: input,
    cacheReadTokens: read,
    cacheWriteTokens: written,
    readShare: total > 0 ? read / total : 0,
    inputCostShare: total > 0 ? (input + 1.25 * written + 0.1 * read) / total : 0,
  };
}

function withoutConversationBreakpoints(body: MessagesRequest): MessagesRequest {
  return {
    ...body,
    messages: body.messages.map((message) =>
      typeof message.content === 'string'
        ? message
        : {
            ...message,
            content: message.content.map((block) => {
              const { cache_control: _, ...rest } = block as typeof block & {
                cache_control?: unknown;
              };
              return rest as typeof block;
            }),
          },
    ) as MessagesRequest['messages'],
  };
}
