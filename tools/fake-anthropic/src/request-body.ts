import type { IncomingMessage } from 'node:http';
import type { MessagesRequest } from './brain.js';

// Reading and checking the body of POST /v1/messages: the fields the real API insists on
// are checked here, each refusal naming the field, as the real API does.

/** The real API refuses bodies over 32 MB; so does the fake. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The real API refuses more cache_control breakpoints than this in one request. */
export const MAX_CACHE_BREAKPOINTS = 4;

export class BodyTooLarge extends Error {}

/** The raw body; rejects with BodyTooLarge past MAX_BODY_BYTES. */
export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new BodyTooLarge(`request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The parsed body, or a sentence saying why it is not a Messages request. */
export type ParsedBody =
  | { ok: true; body: MessagesRequest }
  | { ok: false; body: MessagesRequest; problem: string };

export function parseMessagesBody(raw: string): ParsedBody {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    const problem = `the body is not valid JSON: ${(err as Error).message}`;
    return { ok: false, body: {} as MessagesRequest, problem };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, body: {} as MessagesRequest, problem: 'the body must be a JSON object' };
  }
  const body = json as MessagesRequest;
  const problem = checkFields(json as Record<string, unknown>);
  return problem ? { ok: false, body, problem } : { ok: true, body };
}

function checkFields(body: Record<string, unknown>): string | undefined {
  const { model, max_tokens: maxTokens, messages } = body;
  if (typeof model !== 'string' || model === '') {
    return 'model: field required (a model name such as "claude-sonnet-5-5")';
  }
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    return `max_tokens: must be a positive integer (got ${JSON.stringify(maxTokens) ?? 'nothing'})`;
  }
  if (!Array.isArray(messages) || messages.length === 0) {
    return 'messages: must be a non-empty array of {role, content} messages';
  }
  for (const [i, message] of messages.entries()) {
    const { role, content } = (message ?? {}) as Record<string, unknown>;
    if (role !== 'user' && role !== 'assistant' && role !== 'system') {
      return `messages.${i}.role: must be "user", "assistant" or "system" (got ${JSON.stringify(role) ?? 'nothing'})`;
    }
    if (typeof content !== 'string' && !Array.isArray(content)) {
      return `messages.${i}.content: must be a string or an array of content blocks`;
    }
  }
  const breakpoints = cacheBreakpoints(body);
  if (breakpoints > MAX_CACHE_BREAKPOINTS) {
    return `A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${breakpoints}.`;
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    return 'stream: must be true or false';
  }
  return undefined;
}

function cacheBreakpoints(body: Record<string, unknown>): number {
  const marked = (block: unknown) =>
    typeof block === 'object' &&
    block !== null &&
    !!(block as { cache_control?: unknown }).cache_control;
  const blocks = [
    ...(Array.isArray(body.tools) ? body.tools : []),
    ...(Array.isArray(body.system) ? body.system : []),
    ...(body.messages as { content: unknown }[]).flatMap((m) =>
      Array.isArray(m.content) ? m.content : [],
    ),
  ];
  return blocks.filter(marked).length;
}
