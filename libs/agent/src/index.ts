export {
  type AgentLimits,
  type AgentTaskInput,
  DeadlineError,
  runAgentTask,
} from './agent-loop.js';
export { type AgentRole, sharedInstructions } from './agent-role.js';
export { type BrowserCheckSettings, browserCheckEnvSettings } from './browser-verdict.js';
export { Capacity } from './capacity.js';
export { type ContextSettings, DEFAULT_CONTEXT } from './context-settings.js';
export { type AllowedHost, isAllowed, parseAllowedHost } from './egress-proxy.js';
export { EventChannel } from './event-channel.js';
export {
  DEPENDENCY_DIRS,
  prepareWorktree,
  removeWorktree,
  verifyWorkspace,
  type Workspace,
  WorkspaceError,
} from './git-workspace.js';
export { hostNpmCache, seedNpmCache } from './package-cache.js';
export { PathEscapeError, resolveInWorktree } from './path-guard.js';
export { dependencyInstallCommand, detectTestCommand, packageManager } from './project-files.js';
export { runWorker, type WorkerDefinition } from './run-worker.js';
export {
  type CommandOptions,
  type CommandResult,
  Sandbox,
  type SandboxMode,
  type SandboxSettings,
  SandboxUnavailable,
} from './sandbox.js';
export type { SandboxLimits } from './sandbox-limits.js';
export {
  DEFAULT_SANDBOX_LIMITS,
  npmRegistry,
  sandboxEnvSettings,
  sandboxSettings,
  sandboxSettingsIn,
} from './sandbox-settings.js';
export { type TaskEventFactory, taskEvents } from './task-events.js';
export { parseTestOutput } from './test-output.js';
export { runTests, type TestRun } from './test-runner.js';
export { type ToolOutcome, ToolRunner } from './tool-runner.js';
export { describeEnvironment, probeToolchain, type Tool } from './toolchain.js';
export { TOOL_DEFINITIONS } from './tools/index.js';
export { type WorkerIdentity, type WorkerRuntime, workerService } from './worker-service.js';
export { workerSettings } from './worker-settings.js';
export { commitAll, pushBranch } from './workspace-commit.js';
