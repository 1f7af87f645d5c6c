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
  firstUserText,
  idle,
  lastToolResults,
  lastUserText,
  paddedTurn,
  passingTest,
  planTask,
  type ToolResult,
  text,
  toolUse,
} from './brain-helpers.js';
export {
  BROKEN_APP,
  BROKEN_PAGE_CRITERION,
  brokenPageBrain,
  FIXED_APP,
} from './brains/broken-page.js';
export { brainNames, brains } from './brains/index.js';
export {
  CONST_MODULE,
  lintCorrectingModuleBrain,
  VAR_LINT,
  VAR_MODULE,
} from './brains/lint-correcting-module.js';
export { fileName, type ManyFilesOptions, manyFilesBrain } from './brains/many-files.js';
export { ONE_MODULE_PLAN, oneModuleBrain } from './brains/one-module.js';
export {
  BUGGY_MODULE,
  FIXED_MODULE,
  selfCorrectingModuleBrain,
} from './brains/self-correcting-module.js';
export { STEP_BY_STEP_TASK, stepByStepModuleBrain } from './brains/step-by-step-module.js';
export { requestTokens } from './context-window.js';
export {
  type FakeAnthropic,
  type FakeAnthropicOptions,
  startFakeAnthropic,
} from './fake-anthropic.js';
export type { Fault } from './faults.js';
export {
  type CacheAccount,
  LOOKBACK_BLOCKS,
  minCacheableTokens,
  PromptCache,
  type PromptCacheOptions,
} from './prompt-cache.js';
export type { RecordedRequest } from './recorded-request.js';
export { TokenMeter } from './usage.js';
