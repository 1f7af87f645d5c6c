import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Brain,
  lastToolResults,
  manyFilesBrain,
  requestTokens,
  toolUse,
} from '@codeframe/fake-anthropic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Json,
  outcome,
  PASSING_TESTS,
  repoMaker,
  startTestWorker,
  type TestWorker,
  type WireEvent,
} from './test-worker.fixture.js';

// A task's conversation stays within the model's window: big tool results reach the model
// cut with a line saying how to see the rest, and a long task is compacted, by the worker
// near the window's share or when the API answers "prompt is too long".

const toolResults = (worker: TestWorker, from: number) =>
  worker.fake.requests
    .slice(from)
    .flatMap((r) => r.body.messages ?? [])
    .flatMap((m) => (Array.isArray(m.content) ? m.content : []))
    .flatMap((b) => (b.type === 'tool_result' && typeof b.content === 'string' ? [b.content] : []));

const compactions = (events: WireEvent[]) =>
  events.flatMap((e) => (e.contextCompacted ? [e.contextCompacted as Json] : []));

describe('bounded context', () => {
  let dir: string;
  let repo: (files?: Record<string, string>) => string;
  const workers: TestWorker[] = [];
  const worker = async (options: Omit<Parameters<typeof startTestWorker>[1], 'brain'>) => {
    const started = await startTestWorker(join(dir, `w${workers.length}`), {
      brain: () => ({ content: [] }),
      ...options,
    });
    workers.push(started);
    return started;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'context-'));
    repo = repoMaker(dir);
  });
  afterAll(async () => {
    for (const w of workers) await w.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the model a 5 MB output and a 3 MB file as at most 50,000 characters each, cut in the middle, and lets it page', async () => {
    const w = await worker({ maxOutputBytes: 6_000_000, commandTimeoutMs: 60_000 });
    const pages: string[] = [];
    w.brain = (req) => {
      const turn = req.messages.filter((m) => m.role === 'assistant').length;
      if (turn === 0)
        return {
          content: [
            toolUse('write_file', { path: 'package.json', content: PASSING_TESTS }),
            toolUse('run_command', {
              command:
                'seq 1 260000 | sed "s/^/output line /"; seq 1 180000 | sed "s/^/file line /" > big.txt',
            }),
            toolUse('read_file', { path: 'big.txt' }),
          ],
        };
      if (turn === 1) {
        const id = /read_output with "id": "(out-\d+)"/.exec(lastToolResults(req)[1]!.text)?.[1];
        return {
          content: [
            toolUse('read_output', { id: id ?? 'none', offset: 200_000, limit: 3 }),
            toolUse('read_file', { path: 'big.txt', offset: 150_000, limit: 2 }),
          ],
        };
      }
      pages.push(...lastToolResults(req).map((r) => r.text));
      return { content: [toolUse('finish', { summary: 'paged' })] };
    };
    const { events } = await w.execute({
      task: { id: 'big', title: 'big outputs' },
      repoUrl: repo(),
      baseRef: 'main',
    });
    expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    const results = toolResults(w, 0);
    const [output, file] = [
      results.find((r) => r.includes('output line 1\n')),
      results.find((r) => r.startsWith('file line 1\n')),
    ];
    expect(output).toBeDefined();
    expect(file).toBeDefined();
    for (const result of results) expect(result.length).toBeLessThanOrEqual(50_000);
    // Head and tail kept, the cut announced with how to see it.
    expect(output).toMatch(/output line 260000\n?$/);
    expect(output).toMatch(
      /…\[cut: lines \d+–\d+ of 260001 \(\d+ characters\) are not shown.*read_output with "id": "out-1"/,
    );
    expect(file).toMatch(/file line 180000\n?$/);
    expect(file).toMatch(
      /…\[cut: lines \d+–\d+ of 180000 .*read_file with "path": "big.txt" and "offset" and "limit"/,
    );
    expect(pages[0]).toBe(
      'output line 199999\noutput line 200000\noutput line 200001\n…(lines 200000–200002 of 260001; call read_output with offset 200003 for the next)',
    );
    expect(pages[1]).toBe(
      'file line 150000\nfile line 150001\n…(lines 150000–150001 of 180000; call read_file with offset 150002 for the next)',
    );
  }, 120_000);

  it('keeps 30 turns that each read a different 40 KB file under a small window, compacting, and completes', async () => {
    const window = 60_000;
    const w = await worker({ context: { windowTokens: window }, limits: { maxTurns: 40 } });
    w.brain = manyFilesBrain({ files: 30, bytes: 40_000 });
    const { events } = await w.execute({
      task: { id: 'many', title: 'read many files' },
      repoUrl: repo(),
      baseRef: 'main',
    });
    expect(outcome(events)).toMatchObject({
      outcome: 'TASK_OUTCOME_COMPLETED',
      summary: 'Read all 30 files.',
    });
    const requests = w.fake.requests;
    expect(requests.filter((r) => r.rejected)).toEqual([]);
    for (const r of requests) expect(requestTokens(r.body)).toBeLessThan(window);
    const compacted = compactions(events);
    expect(compacted.length).toBeGreaterThan(0);
    for (const c of compacted) {
      expect(Number(c.tokensBefore)).toBeGreaterThan(Number(c.tokensAfter));
      expect(c.reason).toMatch(/70% of the model's 60000-token window/);
    }
    // Every file was read, each in a turn of its own.
    const reads = toolResults(w, 0).filter((t) => t.startsWith('line of file'));
    expect(new Set(reads.map((t) => /^line of file (\d+)/.exec(t)?.[1])).size).toBe(30);
  }, 180_000);

  it('compacts and tries again when the API answers that the prompt is too long', async () => {
    // The worker believes in a 200k window; the model behind the API has 30k.
    const w = await worker({ fakeWindowTokens: 30_000, limits: { maxTurns: 30 } });
    w.brain = manyFilesBrain({ files: 6, bytes: 40_000 });
    const { events } = await w.execute({
      task: { id: 'too-long', title: 'read files' },
      repoUrl: repo(),
      baseRef: 'main',
    });
    expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED' });
    const rejected = w.fake.requests.filter((r) => r.rejected);
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected[0]?.rejected).toMatch(/^prompt is too long: \d+ tokens > 30000 maximum$/);
    const compacted = compactions(events);
    expect(compacted.length).toBeGreaterThan(0);
    expect(compacted[0]?.reason).toMatch(/prompt is too long/);
  }, 120_000);
});

describe('stop_reason', () => {
  let dir: string;
  let w: TestWorker;
  let repo: (files?: Record<string, string>) => string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stop-'));
    repo = repoMaker(dir);
    w = await startTestWorker(dir, { brain: () => ({ content: [] }) });
  });
  afterAll(async () => {
    await w?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const run = async (brain: Brain) => {
    w.brain = brain;
    const from = w.fake.requests.length;
    const { events } = await w.execute({
      task: { id: `stop-${from}`, title: 'x' },
      repoUrl: repo({ 'package.json': PASSING_TESTS }),
      baseRef: 'main',
    });
    return { events, requests: w.fake.requests.slice(from).map((r) => r.body) };
  };
  const finishing = [
    toolUse('write_file', { path: 'done.txt', content: 'done' }),
    toolUse('finish', { summary: 'done' }),
  ];
  const lastText = (body: { messages: { content: unknown }[] }) =>
    JSON.stringify(body.messages.at(-1)?.content);

  it('max_tokens: the cut reply is continued, its unfinished tool calls not run', async () => {
    const { events, requests } = await run((req) =>
      req.messages.length === 1
        ? {
            content: [
              { type: 'text', text: 'Writing' },
              toolUse('write_file', { path: 'half.txt', content: 'x' }),
            ],
            stopReason: 'max_tokens',
          }
        : { content: finishing },
    );
    expect(outcome(events)).toMatchObject({
      outcome: 'TASK_OUTCOME_COMPLETED',
      filesChanged: ['done.txt'],
    });
    expect(lastText(requests[1]!)).toMatch(/cut off at the output limit \(max_tokens\)/);
  });

  it('refusal: the task ends FAILED with the reason', async () => {
    const { events, requests } = await run(() => ({
      content: [{ type: 'text', text: 'I cannot help with that.' }],
      stopReason: 'refusal',
    }));
    expect(outcome(events)).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'the model refused to go on (stop_reason refusal): I cannot help with that.',
    });
    expect(requests).toHaveLength(1);
    expect(events.some((e) => e.testResult)).toBe(false);
  });

  it('pause_turn: the paused turn is sent back as it is and the model goes on', async () => {
    const { events, requests } = await run((req) =>
      req.messages.length === 1
        ? { content: [{ type: 'text', text: 'Looking things up' }], stopReason: 'pause_turn' }
        : { content: finishing },
    );
    expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED', summary: 'done' });
    expect(requests[1]?.messages.at(-1)).toMatchObject({
      role: 'assistant',
      content: [{ type: 'text', text: 'Looking things up' }],
    });
  });

  it('a reply in text alone is nudged to call finish, not taken as finishing', async () => {
    const { events, requests } = await run((req) =>
      req.messages.length === 1
        ? { content: [{ type: 'text', text: 'I will now write the file.' }] }
        : { content: finishing },
    );
    expect(outcome(events)).toMatchObject({ outcome: 'TASK_OUTCOME_COMPLETED', summary: 'done' });
    expect(lastText(requests[1]!)).toMatch(/If the task is done, call finish/);
    expect(events.filter((e) => e.testResult)).toHaveLength(1);
  });

  it('a second reply in text alone after the nudge is taken as finishing', async () => {
    const { events, requests } = await run(() => ({
      content: [{ type: 'text', text: 'All done.' }],
    }));
    expect(requests).toHaveLength(2);
    expect(events.filter((e) => e.testResult)).toHaveLength(1);
    expect(outcome(events)).toMatchObject({ summary: 'All done.' });
  });
});
