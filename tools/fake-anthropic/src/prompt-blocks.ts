import { createHash } from 'node:crypto';
import type { MessagesRequest } from './brain.js';

// A request as the prompt cache sees it: its blocks in the order the API renders them
// (tools, then system, then each message's content blocks), each with the tokens of the
// prefix that ends with it and a hash of that prefix. Token counts are deterministic, about
// four characters a token, so tests can assert them.

const CHARS_PER_TOKEN = 4;

export const tokensOf = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);

export interface PromptBlock {
  /** Tokens of this block alone. */
  tokens: number;
  /** Tokens of the prefix that ends with this block, this block included. */
  prefixTokens: number;
  /** Hash of the prefix that ends with this block (and the model): the cache key. */
  prefixHash: string;
  /** Set when the block carries cache_control: the lifetime it asks for. */
  breakpoint?: { ttl: '5m' | '1h' };
}

export function promptBlocks(request: MessagesRequest): PromptBlock[] {
  const rendered: { text: string; cacheControl: unknown }[] = [];
  const add = (section: string, block: unknown) => {
    const { cache_control: cacheControl, ...rest } = block as Record<string, unknown>;
    // The marker is not part of the prompt: moving a breakpoint keeps the prefix the same.
    rendered.push({ text: `${section}:${JSON.stringify(rest)}`, cacheControl });
  };
  for (const tool of request.tools ?? []) add('tool', tool);
  for (const block of asBlocks(request.system)) add('system', block);
  for (const message of request.messages ?? []) {
    for (const block of asBlocks(message.content)) add(message.role, block);
  }

  const blocks: PromptBlock[] = [];
  let hash = createHash('sha256')
    .update(request.model ?? '')
    .digest('hex');
  let prefixTokens = 0;
  for (const { text, cacheControl } of rendered) {
    const tokens = tokensOf(text.length);
    prefixTokens += tokens;
    hash = createHash('sha256').update(hash).update(text).digest('hex');
    const block: PromptBlock = { tokens, prefixTokens, prefixHash: hash };
    if (cacheControl) {
      const ttl = (cacheControl as { ttl?: unknown }).ttl;
      block.breakpoint = { ttl: ttl === '1h' ? '1h' : '5m' };
    }
    blocks.push(block);
  }
  return blocks;
}

/** A string is rendered as the one text block it stands for, so both spell the same prefix. */
function asBlocks(content: unknown): unknown[] {
  if (content === undefined || content === null) return [];
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  return Array.isArray(content) ? content : [content];
}
