import { createHash } from 'node:crypto';
import type { Usage } from '@anthropic-ai/sdk/resources/messages';
import type { AssistantBlock } from './assistant-turn.js';
import type { MessagesRequest } from './brain.js';

// Deterministic token counts, so tests can assert on usage and cost: about four characters
// a token. Prompt caching is modelled simply: a request whose system blocks or tools carry
// cache_control has a cacheable prefix (its tools and system); the first request with a given
// prefix writes it to the cache, later ones with the same prefix read it.

const CHARS_PER_TOKEN = 4;

const tokens = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);

export class TokenMeter {
  readonly #cachedPrefixes = new Set<string>();

  measure(request: MessagesRequest, output: readonly AssistantBlock[]): Usage {
    const { system, messages, tools } = request;
    const total = tokens(JSON.stringify({ system, messages, tools }).length);
    let cacheCreation = 0;
    let cacheRead = 0;
    if (hasCacheMarker(request)) {
      const prefix = JSON.stringify({ tools, system });
      const key = createHash('sha256').update(prefix).digest('hex');
      const prefixTokens = Math.min(tokens(prefix.length), total - 1);
      if (this.#cachedPrefixes.has(key)) {
        cacheRead = prefixTokens;
      } else {
        this.#cachedPrefixes.add(key);
        cacheCreation = prefixTokens;
      }
    }
    return {
      // As in the real API, input_tokens counts only what was neither written nor read.
      input_tokens: total - cacheCreation - cacheRead,
      output_tokens: Math.max(1, tokens(outputChars(output))),
      cache_creation_input_tokens: cacheCreation,
      cache_read_input_tokens: cacheRead,
      cache_creation: { ephemeral_5m_input_tokens: cacheCreation, ephemeral_1h_input_tokens: 0 },
      inference_geo: null,
      output_tokens_details: null,
      server_tool_use: null,
      service_tier: 'standard',
      speed: null,
    };
  }
}

function hasCacheMarker(request: MessagesRequest): boolean {
  const marked = (block: unknown) =>
    typeof block === 'object' &&
    block !== null &&
    'cache_control' in block &&
    !!block.cache_control;
  const system = Array.isArray(request.system) ? request.system : [];
  return system.some(marked) || (request.tools ?? []).some(marked);
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
