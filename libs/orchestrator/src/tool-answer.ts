import {
  addUsage,
  type ContentBlockParam,
  emptyUsage,
  type LlmClient,
  type MessageParam,
  type Tool,
  type UsageTotals,
} from '@codeframe/llm';

/** What a tool's input reads as: its value, or why it cannot be taken. */
export type Reading<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ToolAnswerRequest<T> {
  system: string;
  /** The one tool the model answers with. */
  tool: Tool;
  messages: MessageParam[];
  /** Reads the tool's input, which the model wrote: hostile, checked field by field. */
  read: (input: unknown) => Reading<T>;
  /** The reason given when the model answered without calling the tool. */
  noCall: string;
  /** The correction sent back with the reason after an unreadable answer. */
  feedback: (reason: string) => string;
  /**
   * Counts one call's usage as soon as it is made, before the next one: a budget it spends
   * may abort `signal`, which stops the next call; a call that throws loses nothing counted.
   */
  count: (usage: UsageTotals) => Promise<void>;
  signal?: AbortSignal;
}

export type ToolAnswer<T> = Reading<T> & { usage: UsageTotals };

/**
 * Asks the model to answer by calling one tool; an answer that does not read (no call, or
 * input the reader refuses) is sent back with the reason once, and a second one is given
 * up with its reason. Each call is counted as it is made; the answer holds their sum.
 */
export async function askForToolCall<T>(
  llm: LlmClient,
  request: ToolAnswerRequest<T>,
): Promise<ToolAnswer<T>> {
  const { system, tool, read, signal } = request;
  const messages = [...request.messages];
  let usage = emptyUsage();
  for (let round = 1; ; round++) {
    const res = await llm.complete({ system, tools: [tool], messages, signal });
    await request.count(res.usage);
    usage = addUsage(usage, res.usage);
    const call = res.message.content.find((b) => b.type === 'tool_use' && b.name === tool.name);
    const reading: Reading<T> =
      call?.type === 'tool_use' ? read(call.input) : { ok: false, reason: request.noCall };
    if (reading.ok || round === 2) return { ...reading, usage };
    messages.push({ role: 'assistant', content: res.message.content as ContentBlockParam[] });
    const feedback = request.feedback(reading.reason);
    messages.push({
      role: 'user',
      content:
        call?.type === 'tool_use'
          ? [{ type: 'tool_result', tool_use_id: call.id, content: feedback, is_error: true }]
          : feedback,
    });
  }
}
