// The orchestrator's own errors: what went wrong, in its words, with a code the service edge
// turns into the API's (services/lead maps them to Connect codes). Domain code never speaks
// gRPC; an RPC it makes to a worker is another matter (task-dispatch reads those codes).

export type OrchestratorErrorCode =
  /** No project, task or blocker of that id. */
  | 'not_found'
  /** The project or task is in a state that does not allow it (a paused project started
   * twice, a finished task cancelled, a spent budget). */
  | 'conflict'
  /** A watcher fell further behind than the lead keeps for it. */
  | 'overflow'
  /** The lead cannot do it now (another lead took the project over, or it is stopping). */
  | 'unavailable'
  /** The lead itself went wrong: a change of status its lifecycle does not allow. */
  | 'internal';

export class OrchestratorError extends Error {
  override readonly name = 'OrchestratorError';

  constructor(
    readonly code: OrchestratorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isOrchestratorError(err: unknown): err is OrchestratorError {
  return err instanceof OrchestratorError;
}
