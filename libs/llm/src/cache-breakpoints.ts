import type {
  ContentBlockParam,
  MessageParam,
  TextBlockParam,
  Tool,
} from '@anthropic-ai/sdk/resources/messages';

// Where a request's prompt-cache breakpoints go. The API caches the prefix up to each block
// marked with cache_control (tools, then system, then messages) and allows four marks:
// the last tool, the system prompt, the latest message (so the next turn reads this whole
// conversation from the cache) and the latest message of the previous turn (an exact hit on
// what the previous request wrote, however many blocks this turn added: the API looks back
// only 20 blocks from a breakpoint for an earlier entry). The caller's messages are copied
// where marked, never changed.

/** The API refuses a request with more blocks marked than this. */
export const MAX_CACHE_BREAKPOINTS = 4;

const EPHEMERAL = { type: 'ephemeral' } as const;

export interface CachedPrompt {
  system: TextBlockParam[];
  tools: Tool[];
  messages: MessageParam[];
}

export function withCacheBreakpoints(
  system: string,
  tools: readonly Tool[],
  messages: readonly MessageParam[],
): CachedPrompt {
  // The previous turn's latest message is two back: its answer came between.
  const marks = new Set([messages.length - 1, messages.length - 3].filter((i) => i >= 0));
  return {
    system: [{ type: 'text', text: system, cache_control: EPHEMERAL }],
    tools: tools.map((tool, i) =>
      i === tools.length - 1 ? { ...tool, cache_control: EPHEMERAL } : unmarked(tool),
    ),
    messages: messages.map((message, i) =>
      marks.has(i) ? marked(message) : unmarkedMessage(message),
    ),
  };
}

/** The message with its last markable block carrying cache_control (a string becomes its text block). */
function marked(message: MessageParam): MessageParam {
  const blocks: ContentBlockParam[] =
    typeof message.content === 'string'
      ? [{ type: 'text', text: message.content }]
      : message.content.map((block) => unmarked(block as ContentBlockParam));
  const at = blocks.findLastIndex(markable);
  return withContent(
    message,
    blocks.map((block, i) => (i === at ? { ...block, cache_control: EPHEMERAL } : block)),
  );
}

/** Thinking blocks cannot carry cache_control, nor can empty text. */
function markable(block: ContentBlockParam): boolean {
  if (block.type === 'thinking' || block.type === 'redacted_thinking') return false;
  return block.type !== 'text' || block.text !== '';
}

/** The caller's own marks are dropped, so the four above are all there are. */
function unmarkedMessage(message: MessageParam): MessageParam {
  if (typeof message.content === 'string' || !message.content.some(hasMark)) return message;
  return withContent(
    message,
    message.content.map((block) => unmarked(block as ContentBlockParam)),
  );
}

/** A copy of the message with other blocks; each role takes content blocks of its own kinds. */
const withContent = (message: MessageParam, content: ContentBlockParam[]) =>
  ({ ...message, content }) as MessageParam;

function unmarked<T extends object>(block: T): T {
  if (!hasMark(block)) return block;
  const { cache_control: _, ...rest } = block as T & { cache_control?: unknown };
  return rest as T;
}

const hasMark = (block: object) => !!(block as { cache_control?: unknown }).cache_control;
