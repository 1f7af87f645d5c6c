import type { MessagesRequest } from './brain.js';
import { promptBlocks } from './prompt-blocks.js';

// Prompt caching as the Messages API does it. Each block with cache_control is a breakpoint:
// the prefix up to and including it (tools, then system, then messages) becomes a cache
// entry. A request reads the longest live entry found at one of its breakpoints or at the
// blocks up to LOOKBACK_BLOCKS before one; entries are written only at breakpoints, and
// only for prefixes of at least the model's minimum cacheable length. An entry lives for
// its TTL (5 minutes, or 1 hour with ttl "1h"), renewed whenever it is read or written.

/** How far before each breakpoint the API looks for an entry written earlier. */
export const LOOKBACK_BLOCKS = 20;

const TTL_MS = { '5m': 5 * 60_000, '1h': 60 * 60_000 } as const;

export interface PromptCacheOptions {
  /** Now, in milliseconds: Date.now unless a test moves time itself. */
  clock?: () => number;
  /** Shortest prefix that is cached, in tokens, for every model; by model when unset. */
  minTokens?: number;
}

/** Where a request's input tokens went; the three parts add up to its whole prompt. */
export interface CacheAccount {
  /** Read from the cache. */
  read: number;
  /** Written to the cache beyond what was read, by the lifetime asked for. */
  written: { '5m': number; '1h': number };
  /** After the last cacheable breakpoint: neither read nor written. */
  uncached: number;
}

/** The API's minimum cacheable prompt: 1024 tokens for Sonnet and Opus, 2048 for Haiku. */
export function minCacheableTokens(model: string): number {
  return /haiku/i.test(model) ? 2048 : 1024;
}

export class PromptCache {
  readonly #entries = new Map<string, { expiresAt: number; ttlMs: number }>();
  readonly #clock: () => number;
  readonly #minTokens: number | undefined;

  constructor(options: PromptCacheOptions = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#minTokens = options.minTokens;
  }

  account(request: MessagesRequest): CacheAccount {
    const now = this.#clock();
    const blocks = promptBlocks(request);
    const total = blocks.at(-1)?.prefixTokens ?? 0;
    const minTokens = this.#minTokens ?? minCacheableTokens(request.model ?? '');
    const breakpoints = blocks.flatMap((block, i) =>
      block.breakpoint && block.prefixTokens >= minTokens ? [i] : [],
    );

    let readAt = -1;
    for (const at of breakpoints) {
      for (let i = at; i >= Math.max(0, at - LOOKBACK_BLOCKS) && i > readAt; i--) {
        if (this.#live(blocks[i]!.prefixHash, now)) {
          readAt = i;
          break;
        }
      }
    }
    const read = readAt >= 0 ? blocks[readAt]!.prefixTokens : 0;
    if (readAt >= 0) {
      const entry = this.#entries.get(blocks[readAt]!.prefixHash)!;
      entry.expiresAt = Math.max(entry.expiresAt, now + entry.ttlMs);
    }

    const written = { '5m': 0, '1h': 0 };
    let covered = read;
    for (const at of breakpoints) {
      const block = blocks[at]!;
      const ttl = block.breakpoint!.ttl;
      this.#write(block.prefixHash, TTL_MS[ttl], now);
      if (block.prefixTokens > covered) {
        written[ttl] += block.prefixTokens - covered;
        covered = block.prefixTokens;
      }
    }
    return { read, written, uncached: total - covered };
  }

  #live(hash: string, now: number): boolean {
    const entry = this.#entries.get(hash);
    if (entry && entry.expiresAt <= now) this.#entries.delete(hash);
    return !!entry && entry.expiresAt > now;
  }

  #write(hash: string, ttlMs: number, now: number): void {
    const entry = this.#live(hash, now) ? this.#entries.get(hash) : undefined;
    this.#entries.set(hash, {
      expiresAt: Math.max(entry?.expiresAt ?? 0, now + ttlMs),
      ttlMs: Math.max(entry?.ttlMs ?? 0, ttlMs),
    });
  }
}
