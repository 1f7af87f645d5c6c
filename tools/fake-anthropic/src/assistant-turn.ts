import type { StopReason, TextBlock, ToolUseBlock } from '@anthropic-ai/sdk/resources/messages';
import type { BrainTurn, MessagesRequest } from './brain.js';

// What a brain returned, made into the content blocks and stop reason of a real Message:
// ids assigned, the stop reason defaulted, and anything malformed refused with a sentence
// (a brain written in plain JS gets no help from the types).

export type AssistantBlock = TextBlock | ToolUseBlock;

export interface AssistantTurn {
  content: AssistantBlock[];
  stopReason: StopReason;
  stopSequence: string | null;
}

const STOP_REASONS = [
  'end_turn',
  'tool_use',
  'max_tokens',
  'stop_sequence',
  'pause_turn',
  'refusal',
];

export class BadTurn extends Error {}

export function assistantTurn(
  turn: BrainTurn,
  request: MessagesRequest,
  nextToolUseId: () => string,
): AssistantTurn {
  if (!turn || !Array.isArray(turn.content)) {
    throw new BadTurn('the brain returned no content array (expected { content: [...] })');
  }
  const content = turn.content.map((block, i): AssistantBlock => {
    if (block?.type === 'text' && typeof block.text === 'string') {
      return { type: 'text', text: block.text, citations: null };
    }
    if (block?.type === 'tool_use' && typeof block.name === 'string' && isObject(block.input)) {
      return {
        type: 'tool_use',
        id: block.id ?? nextToolUseId(),
        name: block.name,
        input: block.input,
        caller: { type: 'direct' },
      };
    }
    throw new BadTurn(
      `the brain returned content[${i}] = ${JSON.stringify(block)}; expected text(...) or toolUse(name, {input})`,
    );
  });
  const stopReason =
    turn.stopReason ?? (content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  if (!STOP_REASONS.includes(stopReason)) {
    throw new BadTurn(
      `the brain returned stopReason ${JSON.stringify(stopReason)}; expected one of ${STOP_REASONS.join(', ')}`,
    );
  }
  const stopSequence =
    stopReason === 'stop_sequence' ? (request.stop_sequences?.[0] ?? null) : null;
  return { content, stopReason, stopSequence };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
