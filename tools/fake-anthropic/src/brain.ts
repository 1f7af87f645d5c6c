import type { MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';

// A brain is the script behind the fake: it reads the conversation the client sent and
// decides the next assistant turn. It is plain code, never a model.

/** The parsed JSON body of POST /v1/messages, as the SDK sends it. */
export type MessagesRequest = MessageCreateParamsBase;

export interface BrainContext {
  /**
   * 0-based index of this request among every Messages request this server received,
   * faulted ones included (the same index as in `FakeAnthropic.requests`). Injected faults
   * shift it, so brains that must survive retries decide from the conversation instead.
   */
  requestIndex: number;
  /** Aborted when the client disconnects (or the server closes) before the answer is sent. */
  signal: AbortSignal;
}

export interface TextTurnBlock {
  type: 'text';
  text: string;
}

export interface ToolUseTurnBlock {
  type: 'tool_use';
  name: string;
  input: Record<string, unknown>;
  /** Assigned by the server (`toolu_fake_<n>`) when missing. */
  id?: string;
}

export type TurnBlock = TextTurnBlock | ToolUseTurnBlock;

export type TurnStopReason =
  | 'end_turn'
  | 'tool_use'
  | 'max_tokens'
  | 'stop_sequence'
  | 'pause_turn'
  | 'refusal';

export interface BrainTurn {
  content: TurnBlock[];
  /** Defaults to 'tool_use' when the content has a tool_use block, else 'end_turn'. */
  stopReason?: TurnStopReason;
}

export type Brain = (
  request: MessagesRequest,
  context: BrainContext,
) => BrainTurn | Promise<BrainTurn>;
