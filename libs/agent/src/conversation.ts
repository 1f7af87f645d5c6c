import {
  CHARS_PER_TOKEN,
  type ContentBlockParam,
  type MessageParam,
  type UsageTotals,
} from '@codeframe/llm';
import { type ContextSettings, DEFAULT_CONTEXT } from './context-settings.js';
import { elideSuperseded } from './tool-result-elision.js';

// A task's messages to the model, kept within its context window: the size of each request
// comes from the API's usage (plus an estimate of what was added since); older superseded
// tool results are elided in rare batches; near the window's configured share the
// conversation is compacted to the first prompt and the model's summary of its progress.

/** Turns between two batches of elision, so the prompt cache is rarely invalidated. */
const ELIDE_EVERY_TURNS = 8;

export const COMPACTION_REQUEST =
  "The conversation is getting too long for the model's context window, so it will be replaced by a summary of your progress that you continue from. Write that summary now: the files you created or changed and what they hold now; the decisions you made and why; the latest failing test or command output, quoted exactly; what is left to do, and open questions. Reply with the summary as text only; call no tool.";

export class Conversation {
  readonly settings: ContextSettings;
  #messages: MessageParam[];
  /** Tokens of the last request and its answer, by the API's usage. */
  #measured = 0;
  /** How many messages that count covers. */
  #measuredUpTo = 0;
  /** Tokens of the first request (system, tools and prompt), by the API's usage. */
  #baseTokens = 0;
  #lastElision = 0;

  constructor(prompt: string, settings: Partial<ContextSettings> = {}) {
    this.settings = { ...DEFAULT_CONTEXT, ...settings };
    this.#messages = [{ role: 'user', content: prompt }];
  }

  get messages(): MessageParam[] {
    return this.#messages;
  }

  push(message: MessageParam): void {
    this.#messages.push(message);
  }

  /** Records the usage of the answer just pushed: the size of the conversation so far. */
  measured(usage: UsageTotals): void {
    const input = usage.inputTokens + usage.cacheReadInputTokens + usage.cacheCreationInputTokens;
    if (this.#baseTokens === 0) this.#baseTokens = input;
    this.#measured = input + usage.outputTokens;
    this.#measuredUpTo = this.#messages.length;
  }

  /** Tokens the next request will hold: the last measure plus what was added since. */
  estimate(): number {
    const added = JSON.stringify(this.#messages.slice(this.#measuredUpTo)).length;
    return this.#measured + Math.ceil(added / CHARS_PER_TOKEN);
  }

  #share(percent: number): number {
    return (this.settings.windowTokens * percent) / 100;
  }

  /**
   * Before a model call: elides superseded tool results when the conversation is past the
   * elision share and the last batch is some turns back (or compaction is near, which
   * would change everything anyway). Returns whether it is now due for compaction.
   */
  prepare(turn: number): { compact: boolean } {
    const { compactPercent, elidePercent } = this.settings;
    const size = this.estimate();
    const nearCompaction = size > this.#share(compactPercent);
    const elisionDue =
      size > this.#share(elidePercent) && turn - this.#lastElision >= ELIDE_EVERY_TURNS;
    if (nearCompaction || elisionDue) {
      this.#lastElision = turn;
      const chars = elideSuperseded(this.#messages);
      // Conservatively fewer tokens than the characters taken out could be.
      this.#measured = Math.max(0, this.#measured - Math.floor(chars / 4));
    }
    return { compact: this.estimate() > this.#share(compactPercent) };
  }

  /** True when compacting would leave something out (more than the first prompt). */
  get compactable(): boolean {
    return this.#messages.length > 1;
  }

  /** The messages of the call that asks for the summary. */
  compactionMessages(): MessageParam[] {
    const messages = [...this.#messages];
    const last = messages.at(-1)!;
    const ask: ContentBlockParam = { type: 'text', text: COMPACTION_REQUEST };
    if (last.role === 'assistant') messages.push({ role: 'user', content: [ask] });
    else messages[messages.length - 1] = { role: 'user', content: [...blocksOf(last), ask] };
    return messages;
  }

  /** Continues from the first prompt and `summary`; returns the tokens before and after. */
  compact(summary: string): { before: number; after: number } {
    const before = this.estimate();
    const first = this.#messages[0]!;
    const note: ContentBlockParam = {
      type: 'text',
      text: `## Your progress so far\n\nThe conversation was compacted to fit the model's context window. This is your own summary of it:\n\n${summary}\n\nContinue the task from here: the worktree holds all the work so far.`,
    };
    this.#messages = [{ role: 'user', content: [...blocksOf(first), note] }];
    const added = JSON.stringify(note).length;
    this.#measured = this.#baseTokens + Math.ceil(added / CHARS_PER_TOKEN);
    this.#measuredUpTo = 1;
    return { before, after: this.#measured };
  }
}

function blocksOf(message: MessageParam): ContentBlockParam[] {
  return typeof message.content === 'string'
    ? [{ type: 'text', text: message.content }]
    : [...message.content];
}
