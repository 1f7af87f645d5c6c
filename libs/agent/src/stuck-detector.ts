import { createHash } from 'node:crypto';

// A model that repeats itself does not get unstuck by more turns: the same read_file with
// the same answer, two calls in alternation, or one error again and again. The detector
// watches the sequence of tool calls and their results; the loop first nudges the model in
// its next message, then ends the task when the loop goes on.

/** When a loop earns a nudge and when it ends the task, counted in repeats of the loop's
 * unit (a call, a pair of alternating calls, an error). */
export interface StuckThresholds {
  /** Repeats after which the next message asks for a different approach. */
  nudgeAfter: number;
  /** Repeats after which the task ends: FAILED with `stuck: <pattern>`, or, for one error
   * again and again (which a person may know the way past), a question for a person. */
  stopAfter: number;
}

export const DEFAULT_STUCK_THRESHOLDS: StuckThresholds = { nudgeAfter: 3, stopAfter: 5 };

/** What repeats: one call, two calls in alternation, one error from any calls, or one error
 * from different commands (the world's answer, not a tool refusing the model's input). */
export type StuckKind = 'repeat' | 'ping-pong' | 'error' | 'command-error';

export interface StuckVerdict {
  action: 'nudge' | 'stop';
  kind: StuckKind;
  /** The error that repeats, for the kinds "error" and "command-error". */
  error?: string;
  /** What repeats, as a phrase: `read_file {"path":"a.js"} repeated 5 times with the same result`. */
  pattern: string;
  repeats: number;
}

/** A tool call as the model sent it; a tool result as the worker answered it. */
interface CallBlock {
  type: string;
  id?: string;
  name?: string;
  input?: unknown;
}
interface ResultBlock {
  type: string;
  tool_use_id?: string;
  content?: unknown;
  is_error?: boolean;
}

interface Step {
  tool: string;
  /** The tool's name and its input, canonical. */
  call: string;
  /** A digest of the result and whether it was an error. */
  result: string;
  label: string;
  /** The error's text, when the result was one. */
  error?: string;
}

interface Loop {
  kind: StuckKind;
  error?: string;
  pattern: string;
  repeats: number;
  /** The same loop keeps its key while it grows, so that it is nudged once. */
  key: string;
}

const LABEL = 120;
/** Characters of the error a stuck task's question shows. */
const QUESTION_ERROR = 2_000;
/** Steps kept: enough for the longest loop the thresholds can ask about. */
const HISTORY = 200;

export class StuckDetector {
  readonly #steps: Step[] = [];
  #nudged: string | undefined;

  constructor(private readonly thresholds: StuckThresholds = DEFAULT_STUCK_THRESHOLDS) {
    for (const [name, value] of Object.entries(thresholds)) {
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`stuck thresholds: ${name} must be a whole number ≥ 1, not ${value}`);
    }
  }

  /** One turn: the assistant's blocks and the user message's blocks that answer them. What
   * to do about a loop, if the calls so far make one. */
  observe(calls: readonly CallBlock[], results: readonly ResultBlock[]): StuckVerdict | undefined {
    const answers = new Map(
      results.filter((r) => r.type === 'tool_result').map((r) => [r.tool_use_id, r]),
    );
    for (const use of calls) {
      const answer = use.type === 'tool_use' ? answers.get(use.id) : undefined;
      if (answer) this.#steps.push(step(use, answer));
    }
    this.#steps.splice(0, Math.max(0, this.#steps.length - HISTORY));
    const loop = longest([repeated(this.#steps), pingPong(this.#steps), sameError(this.#steps)]);
    const { nudgeAfter, stopAfter } = this.thresholds;
    if (!loop || loop.repeats < Math.min(nudgeAfter, stopAfter)) {
      this.#nudged = undefined;
      return undefined;
    }
    const { key, ...verdict } = loop;
    if (verdict.repeats >= stopAfter) return { action: 'stop', ...verdict };
    if (this.#nudged === key) return undefined;
    this.#nudged = key;
    return { action: 'nudge', ...verdict };
  }
}

/** The question a task stuck on one error asks a person: the error, whole but bounded. */
export function stuckQuestion(verdict: StuckVerdict): string {
  const error = verdict.error ?? '';
  const shown = error.length > QUESTION_ERROR ? `${error.slice(0, QUESTION_ERROR)}…` : error;
  return `The task is stuck on ${verdict.pattern.replace(/:.*$/s, '')}, and the model could not get past it alone:\n${shown}\nHow should it go on? Your answer goes to the task, which continues from its work.`;
}

/** What the model reads after its tool results when it is nudged. */
export function stuckNudge(verdict: StuckVerdict, thresholds: StuckThresholds): string {
  return `You are going in circles: ${verdict.pattern}. Doing it again will not change the answer. Take a different approach (read what you have not read, change the code, run another command), or call ask_human if you cannot go on without a person. The task is stopped at ${thresholds.stopAfter} repeats.`;
}

function step(use: CallBlock, answer: ResultBlock): Step {
  const name = use.name ?? '';
  const input = canonical(use.input ?? {});
  const text = resultText(answer.content);
  const isError = answer.is_error === true;
  const label = `${name} ${input}`;
  return {
    tool: name,
    call: `${name}\0${input}`,
    result: createHash('sha256').update(`${isError}\0${text}`).digest('base64url'),
    label: label.length > LABEL ? `${label.slice(0, LABEL)}…` : label,
    error: isError ? text : undefined,
  };
}

/** The same call with the same result, again and again, at the end of the steps. */
function repeated(steps: Step[]): Loop | undefined {
  const last = steps.at(-1);
  if (!last) return undefined;
  let n = 0;
  while (n < steps.length && same(steps[steps.length - 1 - n]!, last)) n++;
  return {
    kind: 'repeat',
    pattern: `${last.label} repeated ${n} times with the same result`,
    repeats: n,
    key: `repeat\0${last.call}\0${last.result}`,
  };
}

/** Two calls in alternation (A B A B …), each with its same result; repeats count pairs. */
function pingPong(steps: Step[]): Loop | undefined {
  const b = steps.at(-1);
  const a = steps.at(-2);
  if (!a || !b || a.call === b.call) return undefined;
  let n = 0;
  while (n < steps.length && same(steps[steps.length - 1 - n]!, n % 2 === 0 ? b : a)) n++;
  const pairs = Math.floor(n / 2);
  const [first, second] = [a, b].sort((x, y) => (x.call < y.call ? -1 : 1));
  return {
    kind: 'ping-pong',
    pattern: `alternating between ${a.label} and ${b.label} ${pairs} times with the same results`,
    repeats: pairs,
    key: `ping-pong\0${first!.call}\0${second!.call}`,
  };
}

/** One error, word for word, from call after call (whatever the calls were). */
function sameError(steps: Step[]): Loop | undefined {
  const error = steps.at(-1)?.error;
  if (error === undefined) return undefined;
  let n = 0;
  let commands = true;
  while (n < steps.length && steps[steps.length - 1 - n]!.error === error) {
    commands &&= steps[steps.length - 1 - n]!.tool === 'run_command';
    n++;
  }
  const line = error.split('\n')[0]!.slice(0, LABEL);
  return {
    kind: commands ? 'command-error' : 'error',
    error,
    pattern: `the same error ${n} times in a row: ${line}`,
    repeats: n,
    key: `error\0${error}`,
  };
}

function longest(loops: (Loop | undefined)[]): Loop | undefined {
  let best: Loop | undefined;
  for (const loop of loops) if (loop && (!best || loop.repeats > best.repeats)) best = loop;
  return best;
}

const same = (x: Step, y: Step) => x.call === y.call && x.result === y.result;

function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (part?.type === 'text' ? String(part.text) : JSON.stringify(part)))
    .join('\n');
}

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` are one call. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}
