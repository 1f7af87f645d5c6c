import type { ContentBlockParam, MessageParam } from '@codeframe/llm';

// Older bulky tool results the model no longer needs, replaced by a line saying what they
// were: a file read before it was read or changed again, a test run before a later one, a
// command's output (or a file written) several turns ago. Each change to an earlier message
// makes the prompt cache miss from there on, so the caller elides in rare batches, and an
// elided block is never touched again.

/** Results shorter than this stay: eliding them saves little and costs the cache. */
const BULKY_CHARS = 1_500;
/** The latest turns (assistant messages) are never elided. */
export const KEEP_TURNS = 4;

const FILE_TOOLS = new Set(['read_file', 'write_file', 'edit_file']);
const OLD_OUTPUT_TOOLS = new Set(['run_command', 'read_output', 'search', 'list_files']);

interface Use {
  name: string;
  input: Record<string, unknown>;
  /** Index of the assistant message that made the call. */
  at: number;
}

/** Elides in place what is superseded; returns the characters taken out. */
export function elideSuperseded(messages: MessageParam[]): number {
  const uses = new Map<string, Use>();
  const assistantAt: number[] = [];
  messages.forEach((message, at) => {
    if (message.role !== 'assistant') return;
    assistantAt.push(at);
    for (const block of blocks(message)) {
      if (block.type === 'tool_use')
        uses.set(block.id, { name: block.name, input: (block.input ?? {}) as Use['input'], at });
    }
  });
  const keepFrom = assistantAt.at(-KEEP_TURNS) ?? 0;
  const all = [...uses.values()];
  const laterFileUse = (use: Use) =>
    all.some((u) => u.at > use.at && FILE_TOOLS.has(u.name) && u.input.path === use.input.path);
  const laterTestRun = (use: Use) => all.some((u) => u.at > use.at && u.name === 'run_tests');

  let saved = 0;
  for (let at = 0; at < keepFrom; at++) {
    const message = messages[at]!;
    for (const block of blocks(message)) {
      if (block.type === 'tool_result') {
        const use = uses.get(block.tool_use_id);
        const text = typeof block.content === 'string' ? block.content : '';
        if (!use || text.length < BULKY_CHARS) continue;
        let why: string | undefined;
        if (use.name === 'read_file' && laterFileUse(use))
          why = 'superseded by a later read or change of that file; read it again if you need it';
        else if (use.name === 'run_tests' && laterTestRun(use))
          why = 'superseded by a later test run';
        else if (OLD_OUTPUT_TOOLS.has(use.name))
          why = 'an older output; run the call again if you need it';
        if (!why) continue;
        block.content = `[elided: the result of ${describe(use)} (${text.length} characters), ${why}]`;
        saved += text.length - block.content.length;
      } else if (block.type === 'tool_use' && block.name === 'write_file') {
        const input = block.input as Record<string, unknown>;
        const content = typeof input.content === 'string' ? input.content : '';
        if (content.length < BULKY_CHARS) continue;
        const elided = `[elided: the ${content.length} characters written; read the file to see what it holds now]`;
        input.content = elided;
        saved += content.length - elided.length;
      }
    }
  }
  return saved;
}

function describe(use: Use): string {
  const detail = use.input.path ?? use.input.command ?? use.input.id ?? use.input.pattern;
  return detail === undefined ? use.name : `${use.name} ${JSON.stringify(detail).slice(0, 200)}`;
}

function blocks(message: MessageParam): ContentBlockParam[] {
  return Array.isArray(message.content) ? message.content : [];
}
