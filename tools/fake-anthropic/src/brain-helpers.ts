import type {
  ContentBlockParam,
  MessageParam,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import type {
  BrainTurn,
  MessagesRequest,
  TextTurnBlock,
  ToolUseTurnBlock,
  TurnBlock,
} from './brain.js';
import { outputChars } from './usage.js';

// Small readers and builders for writing brains: a brain looks at what the client sent
// (above all the tool results of its last turn) and answers with text and tool calls.

/** A text block for a BrainTurn. */
export function text(t: string): TextTurnBlock {
  return { type: 'text', text: t };
}

/** A tool_use block for a BrainTurn; the server assigns the id unless one is given. */
export function toolUse(
  name: string,
  input: Record<string, unknown>,
  id?: string,
): ToolUseTurnBlock {
  return id === undefined
    ? { type: 'tool_use', name, input }
    : { type: 'tool_use', name, input, id };
}

/**
 * A write_file of `<name>.test.mjs` holding one passing node:test test: what a scripted task
 * writes beside its work, since a worker does not pass a run in which no test ran.
 */
export function passingTest(name: string): ToolUseTurnBlock {
  const content = `import { test } from 'node:test';\n\ntest(${JSON.stringify(name)}, () => {});\n`;
  return toolUse('write_file', { path: `${name}.test.mjs`, content });
}

/**
 * A turn the fake counts as exactly `chars` characters of output (chars / 4 tokens): the
 * blocks after a text block that pads them, so that a test knows what each call costs.
 */
export function paddedTurn(content: TurnBlock[], chars: number): BrainTurn {
  const pad = chars - outputChars(content);
  if (pad < 1) throw new Error(`the turn is already ${chars - pad} characters, over ${chars}`);
  return { content: [text('x'.repeat(pad)), ...content] };
}

/** A task of a `submit_plan` answer, as the lead's planner expects it. */
export function planTask(key: string, dependsOn: string[] = [], kind = 'backend') {
  return {
    key,
    title: `Task ${key}`,
    description: '',
    kind,
    depends_on: dependsOn,
    acceptance_criteria: [],
  };
}

/** Waits `ms`, or until `signal` aborts (a cancelled request): a brain that is slow on
 * purpose, never one that throws when its client goes away. */
export function idle(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** One tool_result the client sent back, with its content flattened to text. */
export interface ToolResult {
  toolUseId: string;
  /** Name of the tool, from the matching tool_use of the previous assistant turn, if any. */
  name: string | undefined;
  /** The result's text blocks (or its string content) joined by newlines. */
  text: string;
  isError: boolean;
}

/** The tool_result blocks of the last user message, in order; empty when it has none. */
export function lastToolResults(request: MessagesRequest): ToolResult[] {
  const messages = request.messages ?? [];
  const lastUser = messages.findLastIndex((m) => m.role === 'user');
  if (lastUser < 0) return [];
  const names = new Map<string, string>();
  for (const block of blocksOf(messages[lastUser - 1])) {
    if (block.type === 'tool_use') names.set(block.id, block.name);
  }
  return blocksOf(messages[lastUser])
    .filter((block): block is ToolResultBlockParam => block.type === 'tool_result')
    .map((block) => ({
      toolUseId: block.tool_use_id,
      name: names.get(block.tool_use_id),
      text: toolResultText(block),
      isError: block.is_error === true,
    }));
}

/** The text of the last user message (its string content or text blocks), '' when none. */
export function lastUserText(request: MessagesRequest): string {
  return textOf((request.messages ?? []).findLast((m) => m.role === 'user'));
}

/** The text of the first message, the task's prompt (a string or text blocks, as the
 * client marked it for the cache), '' when none. */
export function firstUserText(request: MessagesRequest): string {
  return textOf(request.messages?.[0]);
}

function textOf(message: MessageParam | undefined): string {
  return blocksOf(message)
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join('\n');
}

/**
 * Every message as text, one line per block, so a brain can match on what was said: text
 * as it is, tool calls as `name {json input}`, tool results as their text. The system
 * prompt is left out.
 */
export function conversationText(request: MessagesRequest): string {
  const lines: string[] = [];
  for (const message of request.messages ?? []) {
    for (const block of blocksOf(message)) {
      if (block.type === 'text') lines.push(block.text);
      else if (block.type === 'tool_use')
        lines.push(`${block.name} ${JSON.stringify(block.input)}`);
      else if (block.type === 'tool_result') lines.push(toolResultText(block));
    }
  }
  return lines.join('\n');
}

function blocksOf(message: MessageParam | undefined): ContentBlockParam[] {
  if (!message) return [];
  const { content } = message;
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? (content as ContentBlockParam[]) : [];
}

function toolResultText(block: ToolResultBlockParam): string {
  const { content } = block;
  if (content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
}
