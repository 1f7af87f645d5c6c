import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Brain, toolUse } from '@codeframe/fake-anthropic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outcome, repoMaker, startTestWorker, type TestWorker } from './test-worker.fixture.js';

// A model that loops is stopped with the reason, within the default 5 repeats.

describe('a worker whose model goes in circles', () => {
  let dir: string;
  let worker: TestWorker;
  let repo: ReturnType<typeof repoMaker>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-stuck-'));
    worker = await startTestWorker(dir, { brain: () => ({ content: [] }) });
    repo = repoMaker(dir);
  });
  afterAll(async () => {
    await worker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const requestsOf = async (id: string, brain: Brain) => {
    worker.brain = brain;
    const before = worker.fake.requests.length;
    const { events } = await worker.execute({
      task: { id, title: 'Loop' },
      repoUrl: repo(),
      baseRef: 'main',
    });
    return { result: outcome(events), requests: worker.fake.requests.slice(before) };
  };

  it('ends FAILED with "stuck:" after 5 identical read_file calls, nudged after the third', async () => {
    const { result, requests } = await requestsOf('same-call', () => ({
      content: [toolUse('read_file', { path: 'README.md' })],
    }));
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: 'stuck: read_file {"path":"README.md"} repeated 5 times with the same result',
    });
    expect(requests).toHaveLength(5);
    // The fourth request (after the third call) carries the nudge after the tool result.
    const lastMessage = (n: number) => JSON.stringify(requests[n]?.body.messages.at(-1));
    expect(lastMessage(2)).not.toMatch(/going in circles/);
    expect(lastMessage(3)).toMatch(/going in circles: read_file[^"]*\{[^}]*README\.md/);
  });

  it('ends FAILED with "stuck:" when the model alternates between two calls', async () => {
    const { result, requests } = await requestsOf('ping-pong', (req) => ({
      content: [
        req.messages.length % 4 === 1
          ? toolUse('read_file', { path: 'README.md' })
          : toolUse('list_files', {}),
      ],
    }));
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_FAILED',
      error: expect.stringMatching(/^stuck: alternating between .+ 5 times with the same results$/),
    });
    expect(requests).toHaveLength(10);
  });

  it('asks a person when one error comes back from call after call, keeping the work', async () => {
    // Each turn runs a different command: the calls differ, the error does not.
    const { result, requests } = await requestsOf('same-error', (req) => ({
      content:
        req.messages.length === 1
          ? [toolUse('write_file', { path: 'notes.txt', content: 'half done' })]
          : [
              toolUse('run_command', {
                command: `echo 'registry.example: permission denied' >&2; exit 3 # ${req.messages.length}`,
              }),
            ],
    }));
    expect(result).toMatchObject({
      outcome: 'TASK_OUTCOME_BLOCKED',
      question: expect.stringMatching(
        /^The task is stuck on the same error 5 times in a row, .+permission denied.+How should it go on\?/s,
      ),
    });
    expect(result?.commitSha).toMatch(/^[0-9a-f]{40}$/);
    expect(requests).toHaveLength(6);
  });
});
