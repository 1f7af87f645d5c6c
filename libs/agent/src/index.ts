export {
  type AgentLimits,
  type AgentTaskInput,
  DeadlineError,
  runAgentTask,
} from './agent-loop.js';
export { type AgentRole, SHARED_INSTRUCTIONS } from './agent-role.js';
export { Capacity } from './capacity.js';
export { EventChannel } from './event-channel.js';
export {
  commitAll,
  prepareWorktree,
  pushBranch,
  removeWorktree,
  WorkspaceError,
} from './git-workspace.js';
export { PathEscapeError, resolveInWorktree } from './path-guard.js';
export { runWorker, type WorkerDefinition } from './run-worker.js';
export { bwrapAvailable, type CommandResult, runCommand } from './sandbox.js';
export { type TaskEventFactory, taskEvents } from './task-events.js';
export { parseTestOutput } from './test-output.js';
export { detectTestCommand, runTests, type TestRun } from './test-runner.js';
export { TOOL_DEFINITIONS } from './tool-definitions.js';
export { type ToolOutcome, ToolRunner } from './tool-runner.js';
export { type WorkerIdentity, type WorkerRuntime, workerService } from './worker-service.js';
export { workerSettings } from './worker-settings.js';
