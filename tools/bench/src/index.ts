// The suites of `npm run bench`, for running one from a script (main.ts runs them all).
export { type FanOutParams, type FanOutResult, runFanOut } from './fan-out/fan-out-bench.js';
export {
  type OrchestrationParams,
  type OrchestrationResult,
  runOrchestration,
} from './orchestration/orchestration-bench.js';
export {
  type PipelineParams,
  type PipelineResult,
  runPipeline,
} from './pipeline/pipeline-bench.js';
export {
  type CacheFigures,
  type PromptCacheParams,
  type PromptCacheResult,
  runPromptCache,
} from './prompt-cache/prompt-cache-bench.js';
export {
  runWorkerConcurrency,
  type WorkerConcurrencyParams,
  type WorkerConcurrencyResult,
} from './worker-concurrency/worker-concurrency-bench.js';
