// What the edge's end-to-end tests share: a brain that plays a small project at a pace the
// test controls, the edge process in front of a cluster, and a WebSocket client that
// records frames.
import { isFinished } from '@codeframe/events';
import { type Brain, passingTest, toolUse } from '@codeframe/fake-anthropic';
import type { ProjectStatusJson } from '@codeframe/proto';
import { type ServiceProcess, startServiceProcess } from '@codeframe/testkit';
import WebSocket from 'ws';

export const EDGE_ENTRY = 'services/edge/dist/main.js';

/** Holds every model call while closed, so a test can stop a run mid-way. */
export class Gate {
  #open = true;
  #waiters: (() => void)[] = [];

  close(): void {
    this.#open = false;
  }

  open(): void {
    this.#open = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  pass(signal: AbortSignal): Promise<void> {
    if (this.#open) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      signal.addEventListener('abort', () => resolve());
    });
  }
}

/**
 * The PRD of a demo run: `steps` tool calls per task; `ask` makes the page task ask a
 * human; `noisy` makes each step a command printing 200 kB (many command_output events).
 */
export function demoPrd(
  name: string,
  options: { steps?: number; ask?: boolean; noisy?: boolean } = {},
): string {
  return `# ${name}\nsteps: ${options.steps ?? 3}\nask: ${options.ask ? 'yes' : 'no'}\nnoisy: ${options.noisy ? 'yes' : 'no'}\n`;
}

const task = (key: string, kind: string, depends_on: string[] = []) => ({
  key,
  title: `Build the ${key}`,
  description: `The ${key} of the demo.`,
  kind,
  depends_on,
  acceptance_criteria: [`the ${key} exists`],
});

/**
 * Plans api (backend) and page (frontend) side by side, then checks (test) after both.
 * Each task searches `steps` times, then writes its file and a passing test and finishes
 * (the test task's test is new, so its tests ran); with `ask: yes`
 * the page first asks "Which colour should the page use?" and writes the answer. Asked for a
 * review (a project with review on), it approves every task but the api's first attempt:
 * that one is asked to say in api.txt that it was reviewed, and its second attempt does.
 */
export function demoBrain(gate = new Gate(), delayMs = 20): Brain {
  return async (request, { signal }) => {
    await gate.pass(signal);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    const first = JSON.stringify(request.messages[0]?.content);
    if (JSON.stringify(request.tools ?? []).includes('submit_review')) return demoReview(first);
    if (JSON.stringify(request.tools ?? []).includes('submit_plan')) {
      return {
        content: [
          toolUse('submit_plan', {
            tasks: [
              task('api', 'backend'),
              task('page', 'frontend'),
              task('checks', 'test', ['api', 'page']),
            ],
          }),
        ],
      };
    }
    const key = /# Task ([\w-]+):/.exec(first)?.[1] ?? 'unknown';
    const steps = Number(/steps: (\d+)/.exec(first)?.[1] ?? 3);
    const calls = (request.messages.length - 1) / 2;
    if (key === 'page' && /ask: yes/.test(first)) {
      const answer = /Answers to your earlier questions[\s\S]*?A: ([^\n"\\]+)/.exec(first)?.[1];
      if (!answer) {
        return {
          content: [toolUse('ask_human', { question: 'Which colour should the page use?' })],
        };
      }
      if (calls === 0) {
        return {
          content: [
            toolUse('write_file', { path: 'colour.txt', content: `${answer}\n` }),
            passingTest(key),
            toolUse('finish', { summary: `page in ${answer}` }),
          ],
        };
      }
      return { content: [toolUse('finish', { summary: 'done' })] };
    }
    if (calls < steps) {
      // A different call each step: working, not going in circles.
      if (!/noisy: yes/.test(first))
        return { content: [toolUse('search', { pattern: `step ${calls}` })] };
      const print = `echo step ${calls}; head -c 200000 /dev/zero | tr '\\0' x`;
      return { content: [toolUse('run_command', { command: print })] };
    }
    if (calls === steps) {
      return {
        content: [
          toolUse('write_file', {
            path: `${key}.txt`,
            content: first.includes('asked for changes') ? `${key}, reviewed\n` : `${key}\n`,
          }),
          passingTest(key),
          toolUse('finish', { summary: key }),
        ],
      };
    }
    return { content: [toolUse('finish', { summary: 'done' })] };
  };
}

export const DEMO_REVIEW_COMMENT = 'say in api.txt that the api was reviewed';

function demoReview(prompt: string) {
  const key = /# Review of task ([\w-]+)/.exec(prompt)?.[1];
  const asks = key === 'api' && !prompt.includes('+api, reviewed');
  return {
    content: [
      toolUse('submit_review', {
        verdict: asks ? 'request_changes' : 'approve',
        summary: asks ? 'The api does not say it was reviewed.' : `The ${key} is fine.`,
        comments: asks ? [{ path: 'api.txt', line: 1, body: DEMO_REVIEW_COMMENT }] : [],
      }),
    ],
  };
}

/** An edge process in front of the lead at `leadUrl` (a cluster's, or a fake one). */
export function startEdge(
  leadUrl: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startServiceProcess({
    entry: EDGE_ENTRY,
    listeners: 2,
    env: {
      GRPC_PORT: '0',
      CODEFRAME_LEAD_URL: leadUrl,
      CODEFRAME_EDGE_HEARTBEAT_MS: '1000',
      ...env,
    },
  });
}

export type Frame = Record<string, unknown> & { type: string; seq?: number };

/** A WebSocket client that records every frame it receives. */
export class FrameClient {
  readonly frames: Frame[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  #waiters = new Set<() => void>();

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()));
      for (const wake of this.#waiters) wake();
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code) => {
        this.closeCode = code;
        for (const wake of this.#waiters) wake();
        resolve(code);
      }),
    );
  }

  static connect(
    url: string,
    protocols?: string[],
    options?: WebSocket.ClientOptions,
  ): Promise<FrameClient> {
    const ws = new WebSocket(url, protocols, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new FrameClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`upgrade refused: ${res.statusCode}`)),
      );
    });
  }

  send(frame: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Event frames (those with a seq), in the order received. */
  get events(): Frame[] {
    return this.frames.filter((f) => typeof f.seq === 'number' && f.type !== 'subscribed');
  }

  /** Resolves with the first frame matching `match` (already received or to come). */
  async waitFor(match: (frame: Frame) => boolean, timeoutMs = 30_000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode})`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }

  close(): void {
    this.ws.close();
  }
}

export const isEnd = (f: Frame) =>
  f.type === 'project_status' && isFinished(f.status as ProjectStatusJson);
