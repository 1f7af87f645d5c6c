// What a browser bundle may import: the shapes of frames and the fold of events into a
// project, with nothing that needs Node or protobuf's runtime (`@codeframe/events/view`).

export {
  addUsage,
  allInputTokens,
  cachedTokens,
  emptyUsage,
  type UsageTotals,
  usageBeyond,
} from '@codeframe/proto/usage';
export type {
  BrowserBlocker,
  BrowserEvent,
  BrowserEventType,
  BrowserMainVerified,
  BrowserProject,
  BrowserQualityGate,
  BrowserSnapshot,
  BrowserTask,
  BrowserTestSummary,
  BrowserUsage,
  ClientFrame,
  EventOf,
  PayloadCase,
  Recovery,
  ServerFrame,
} from './browser-protocol.js';
export { CloseCode } from './browser-protocol.js';
export {
  isFinished,
  isMerge,
  isTaskFinished,
  isTaskRunning,
  isTaskTroubled,
  MAIN_BRANCH,
} from './predicates.js';
export type {
  AgentRecord,
  BlockerRecord,
  BrowserCheckRecord,
  CommitRecord,
  CorrectionRecord,
  MainChecks,
  Progress,
  ReviewRecord,
  TaskRecord,
  TestRun,
} from './project-records.js';
export { ProjectView, type ProjectViewOptions } from './project-view.js';
export type { SnakeCase, SnakeKeys } from './snake-keys.js';
export { withGate } from './task-gates.js';
export { formatTokens, tokensText } from './usage-text.js';
export { usageTotals } from './usage-totals.js';
