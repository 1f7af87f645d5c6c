import type {
  ContentBlock,
  Message,
  RawContentBlockDeltaEvent,
  RawMessageStreamEvent,
} from '@anthropic-ai/sdk/resources/messages';

// The server-sent events of a streamed Message, in the order and shape the real API sends
// them: message_start (empty content, no stop reason), then per block content_block_start,
// a few deltas and content_block_stop, then message_delta with the stop reason and output
// tokens, then message_stop. The SDK's MessageStream rebuilds the same Message from them.

/** Pieces each text or tool input is split into, so clients see it arrive in deltas. */
const PIECES = 3;

export function messageEvents(message: Message): RawMessageStreamEvent[] {
  const { usage } = message;
  const events: RawMessageStreamEvent[] = [
    {
      type: 'message_start',
      message: {
        ...message,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // The real API reports a token's worth of output here and the total at the end.
        usage: { ...usage, output_tokens: Math.min(1, usage.output_tokens) },
      },
    },
  ];
  message.content.forEach((block, index) => {
    events.push({ type: 'content_block_start', index, content_block: startOf(block) });
    for (const delta of deltasOf(block)) events.push({ type: 'content_block_delta', index, delta });
    events.push({ type: 'content_block_stop', index });
  });
  events.push(
    {
      type: 'message_delta',
      delta: {
        stop_reason: message.stop_reason,
        stop_sequence: message.stop_sequence,
        stop_details: null,
        container: null,
      },
      usage: {
        output_tokens: usage.output_tokens,
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens_details: null,
        server_tool_use: null,
      },
    },
    { type: 'message_stop' },
  );
  return events;
}

/** One SSE frame: `event: <type>\ndata: <json>\n\n`. */
export function sseFrame(event: RawMessageStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

function startOf(block: ContentBlock): ContentBlock {
  if (block.type === 'text') return { ...block, text: '' };
  if (block.type === 'tool_use') return { ...block, input: {} };
  return block;
}

function deltasOf(block: ContentBlock): RawContentBlockDeltaEvent['delta'][] {
  if (block.type === 'text') {
    return pieces(block.text).map((text) => ({ type: 'text_delta', text }));
  }
  if (block.type === 'tool_use') {
    return pieces(JSON.stringify(block.input)).map((partial_json) => ({
      type: 'input_json_delta',
      partial_json,
    }));
  }
  return [];
}

/** Splits on code points, never inside a surrogate pair; '' gives no pieces. */
export function pieces(s: string, count = PIECES): string[] {
  const chars = Array.from(s);
  const size = Math.max(1, Math.ceil(chars.length / count));
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}
