import { env } from '@codeframe/runtime';
import { DEFAULT_TOOL_RESULT_CHARS } from './tool-result-cap.js';

/** How much of the model's window a task's conversation may fill, and how it is kept there. */
export interface ContextSettings {
  /** The model's context window, in tokens. */
  windowTokens: number;
  /** At this share of the window (percent) the conversation is compacted to a summary. */
  compactPercent: number;
  /** At this share (percent) older, superseded tool results are elided, in batches. */
  elidePercent: number;
  /** Characters of one tool result the model gets; longer ones keep their head and tail. */
  toolResultChars: number;
}

export const DEFAULT_CONTEXT: ContextSettings = {
  windowTokens: 200_000,
  compactPercent: 70,
  elidePercent: 40,
  toolResultChars: DEFAULT_TOOL_RESULT_CHARS,
};

/** The variables a worker reads for them. */
export const contextEnvSettings = {
  contextWindowTokens: env.int(
    'CODEFRAME_CONTEXT_WINDOW_TOKENS',
    DEFAULT_CONTEXT.windowTokens,
    1_000,
  ),
  contextCompactPercent: env.int(
    'CODEFRAME_CONTEXT_COMPACT_PERCENT',
    DEFAULT_CONTEXT.compactPercent,
    10,
    95,
  ),
  contextElidePercent: env.int(
    'CODEFRAME_CONTEXT_ELIDE_PERCENT',
    DEFAULT_CONTEXT.elidePercent,
    5,
    95,
  ),
  toolResultChars: env.int('CODEFRAME_TOOL_RESULT_CHARS', DEFAULT_CONTEXT.toolResultChars, 2_000),
};

export function contextSettings(config: {
  contextWindowTokens: number;
  contextCompactPercent: number;
  contextElidePercent: number;
  toolResultChars: number;
}): ContextSettings {
  return {
    windowTokens: config.contextWindowTokens,
    compactPercent: config.contextCompactPercent,
    elidePercent: Math.min(config.contextElidePercent, config.contextCompactPercent),
    toolResultChars: config.toolResultChars,
  };
}
