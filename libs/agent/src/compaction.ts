import {
  addUsage,
  type ContentBlockParam,
  type LlmClient,
  LlmError,
  type MessageParam,
  toProtoUsage,
  type UsageTotals,
} from '@codeframe/llm';
import type { TaskEvent } from '@codeframe/proto';
import type { Conversation } from './conversation.js';
import type { EventChannel } from './event-channel.js';
import type { TaskEventFactory } from './task-events.js';
import { TOOL_DEFINITIONS } from './tools/index.js';

export interface CompactionInput {
  llm: LlmClient;
  system: string;
  conversation: Conversation;
  signal: AbortSignal;
  channel: EventChannel<TaskEvent>;
  ev: TaskEventFactory;
  /** Why now, for the event: the share reached, or the API's refusal. */
  reason: string;
  /** The task's usage so far, which the compaction's calls add to. */
  usage: UsageTotals;
}

/**
 * A compaction turn: the model is asked for a summary of its progress, and the conversation
 * continues from the first prompt and that summary; a context_compacted event says how
 * many tokens it went from and to. When even that request is too long for the window, the
 * summary is put together from the conversation itself. Returns the task's usage with
 * the compaction's calls added.
 */
export async function* compactConversation(
  input: CompactionInput,
): AsyncGenerator<TaskEvent, UsageTotals> {
  const { llm, conversation, channel, ev } = input;
  yield ev.activity(`compacting the conversation: ${input.reason}`);
  let summary: string | undefined;
  let usage = input.usage;
  // Whole first; when that is too long for the window, with every result and file cut short.
  for (const messages of [
    conversation.compactionMessages(),
    shortened(conversation.compactionMessages()),
  ]) {
    try {
      const response = yield* channel.until(
        llm.complete({
          system: input.system,
          // The same tools as every turn, so the cached prefix still matches.
          tools: TOOL_DEFINITIONS,
          messages,
          signal: input.signal,
        }),
      );
      usage = addUsage(usage, response.usage);
      yield ev.tokens(response.model, toProtoUsage(response.usage), toProtoUsage(usage));
      summary = textOf(response.message.content);
      break;
    } catch (err) {
      if (!(err instanceof LlmError && err.kind === 'prompt_too_long')) throw err;
    }
  }
  summary ||= plainSummary(conversation.messages);
  const { before, after } = conversation.compact(summary);
  yield ev.compacted(before, after, input.reason);
  return usage;
}

/** The text blocks of a reply, joined. */
export function textOf(content: { type: string; text?: string }[]): string {
  return content
    .map((b) => (b.type === 'text' ? (b.text ?? '') : ''))
    .join('\n')
    .trim();
}

/** Chars of each of the last results a summary made without the model quotes. */
const RESULT_CHARS = 2_000;

/** A copy of `messages` with each tool result and written file cut to its head (the
 * prompts and the model's words stay whole). */
function shortened(messages: MessageParam[]): MessageParam[] {
  const cut = (text: string) =>
    text.length > RESULT_CHARS ? `${text.slice(0, RESULT_CHARS)}…(cut for the summary)` : text;
  return messages.map((message) => {
    if (typeof message.content === 'string') return message;
    const content = message.content.map((block): ContentBlockParam => {
      if (block.type === 'tool_result' && typeof block.content === 'string')
        return { ...block, content: cut(block.content) };
      if (
        block.type === 'tool_use' &&
        typeof (block.input as Record<string, unknown>)?.content === 'string'
      ) {
        const input = block.input as Record<string, string>;
        return { ...block, input: { ...input, content: cut(input.content!) } };
      }
      return block;
    });
    return { ...message, content } as MessageParam;
  });
}

/** A summary from the conversation alone: the files changed and the latest results. */
export function plainSummary(messages: MessageParam[]): string {
  const blocks = (m: MessageParam | undefined): ContentBlockParam[] =>
    Array.isArray(m?.content) ? m.content : [];
  const files = new Set<string>();
  for (const message of messages) {
    for (const block of blocks(message)) {
      if (block.type === 'tool_use' && ['write_file', 'edit_file'].includes(block.name)) {
        const path = (block.input as { path?: unknown }).path;
        if (typeof path === 'string') files.add(path);
      }
    }
  }
  const latest = blocks(messages.findLast((m) => m.role === 'user' && m !== messages[0]))
    .flatMap((b) => (b.type === 'tool_result' && typeof b.content === 'string' ? [b.content] : []))
    .map((text) => text.slice(0, RESULT_CHARS));
  return [
    '(Put together by the worker: the conversation was too long to summarise.)',
    `Files written or edited: ${[...files].join(', ') || 'none'}.`,
    ...(latest.length ? ['The latest tool results:', ...latest] : []),
  ].join('\n');
}
