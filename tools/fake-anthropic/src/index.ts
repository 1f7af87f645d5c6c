export type {
  Brain,
  BrainContext,
  BrainTurn,
  MessagesRequest,
  TextTurnBlock,
  ToolUseTurnBlock,
  TurnBlock,
  TurnStopReason,
} from './brain.js';
export {
  conversationText,
  lastToolResults,
  lastUserText,
  type ToolResult,
  text,
  toolUse,
} from './brain-helpers.js';
export { brainNames, brains } from './brains/index.js';
export { fileName, type ManyFilesOptions, manyFilesBrain } from './brains/many-files.js';
export {
  BUGGY_MODULE,
  FIXED_MODULE,
  selfCorrectingModuleBrain,
} from './brains/self-correcting-module.js';
export { requestTokens } from './context-window.js';
export {
  type FakeAnthropic,
  type FakeAnthropicOptions,
  startFakeAnthropic,
} from './fake-anthropic.js';
export type { Fault } from './faults.js';
export type { RecordedRequest } from './recorded-request.js';
