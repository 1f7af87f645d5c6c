import type { Usage } from '@anthropic-ai/sdk/resources/messages';
import type { AssistantBlock } from './assistant-turn.js';
import type { MessagesRequest } from './brain.js';
import { tokensOf } from './prompt-blocks.js';
import { PromptCache, type PromptCacheOptions } from './prompt-cache.js';

/**
 * The usage of each answer, deterministic so tests can assert on usage and cost: about four
 * characters a token, the prompt's tokens split between cache reads, cache writes and the
 * rest by the prompt cache (see prompt-cache.ts).
 */
export class TokenMeter {
  readonly #cache: PromptCache;

  constructor(options: PromptCacheOptions = {}) {
    this.#cache = new PromptCache(options);
  }

  measure(request: MessagesRequest, output: readonly AssistantBlock[]): Usage {
    const { read, written, uncached } = this.#cache.account(request);
    return {
      // As in the real API, input_tokens counts only what was neither written nor read.
      input_tokens: uncached,
      output_tokens: Math.max(1, tokensOf(outputChars(output))),
      cache_creation_input_tokens: written['5m'] + written['1h'],
      cache_read_input_tokens: read,
      cache_creation: {
        ephemeral_5m_input_tokens: written['5m'],
        ephemeral_1h_input_tokens: written['1h'],
      },
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    };
  }
}

/** The characters the meter counts as a turn's output (four a token). */
export function outputChars(
  output: readonly (
    | Pick<Extract<AssistantBlock, { type: 'text' }>, 'type' | 'text'>
    | { type: 'tool_use'; name: string; input: unknown }
  )[],
): number {
  let chars = 0;
  for (const block of output) {
    chars +=
      block.type === 'text'
        ? block.text.length
        : block.name.length + JSON.stringify(block.input).length;
  }
  return chars;
}
