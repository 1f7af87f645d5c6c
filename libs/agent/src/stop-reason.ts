import type { ContentBlockParam, Message } from '@codeframe/llm';

type ContentBlock = Message['content'][number];

// What the loop does with a turn, by its stop_reason: tool calls run; a reply cut at
// max_tokens (or at the window's end) is continued, its half-written tool calls not run; a
// paused turn is sent back as it is to go on; a refusal ends the task; a reply in text
// alone is nudged to call finish or go on, and taken as finishing only if it stays so.

/** Replies in a row cut at max_tokens before the task gives up. */
export const MAX_CUT_TURNS = 3;
/** Text-only replies in a row that are nudged before one is taken as finishing. */
export const MAX_NUDGES = 1;

export const CUT_FOLLOW_UP =
  'Your last reply was cut off at the output limit (max_tokens) before it ended, so none of its tool calls was run. Continue from where you were, in shorter steps: write a large file in parts (write_file, then edit_file to add to it), and keep each reply brief.';

export const TEXT_ONLY_NUDGE =
  'You replied without calling a tool. If the task is done, call finish with a summary of what you did; otherwise go on with the tools. (A reply in text alone again is taken as finishing.)';

export type TurnEnd = 'refused' | 'cut' | 'paused' | 'answered';

export function turnEnd(stopReason: string | null): TurnEnd {
  switch (stopReason) {
    case 'refusal':
      return 'refused';
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'cut';
    case 'pause_turn':
      return 'paused';
    default:
      return 'answered';
  }
}

/** A cut reply as it stays in the conversation: its text, without the unfinished calls. */
export function cutReply(content: ContentBlock[]): ContentBlockParam[] {
  const kept = content.filter(
    (b): b is Extract<ContentBlock, { type: 'text' }> => b.type === 'text' && b.text.trim() !== '',
  );
  return kept.length
    ? kept.map((b) => ({ type: 'text', text: b.text }))
    : [{ type: 'text', text: '(reply cut off at the output limit)' }];
}

/** Why the task ends when the model refuses, in its own words when it gave any. */
export function refusalError(content: ContentBlock[]): string {
  const said = content
    .flatMap((b) => (b.type === 'text' ? [b.text.trim()] : []))
    .filter(Boolean)
    .join(' ');
  return `the model refused to go on (stop_reason refusal)${said ? `: ${said.slice(0, 500)}` : ''}`;
}
